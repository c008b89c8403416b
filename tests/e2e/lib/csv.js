// SPDX-License-Identifier: Apache-2.0
// RFC 4180 CSV as the e2e tests read quire's CSV answers (REP-1): a strict parser that also
// checks the line ends.
import assert from 'node:assert/strict';

/** Parses RFC 4180 text: CRLF line ends, quoted fields with doubled quotes. Checks that every
 * line end outside quotes is CRLF. Returns an array of rows (arrays of strings). */
export function parseCsv(text) {
    const rows = [];
    let row = [];
    let field = '';
    let i = 0;
    let quoted = false;
    while (i < text.length) {
        const c = text[i];
        if (quoted) {
            if (c === '"' && text[i + 1] === '"') {
                field += '"';
                i += 2;
            } else if (c === '"') {
                quoted = false;
                i++;
            } else {
                field += c;
                i++;
            }
        } else if (c === '"' && field === '') {
            quoted = true;
            i++;
        } else if (c === ',') {
            row.push(field);
            field = '';
            i++;
        } else if (c === '\r' && text[i + 1] === '\n') {
            row.push(field);
            rows.push(row);
            row = [];
            field = '';
            i += 2;
        } else {
            assert.notEqual(c, '\n', 'RFC 4180 a line ends with CRLF');
            field += c;
            i++;
        }
    }
    assert.equal(field, '', 'the last row ends with CRLF');
    assert.equal(row.length, 0, 'the last row ends with CRLF');
    return rows;
}

/** The rows of a CSV answer as objects keyed by the header. */
export function csvObjects(res) {
    const [header, ...rows] = parseCsv(res.text);
    return { header, items: rows.map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]]))) };
}
