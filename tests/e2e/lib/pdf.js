// SPDX-License-Identifier: Apache-2.0
// Well-formed test PDFs made in code (objects, xref table and trailer with exact offsets), so
// that a strict reader gets the page count and colour without having to repair anything.

/**
 * A PDF of `pages` A4 pages, each with a line of text; with color, page 1 also holds a red
 * rectangle. pad adds comment bytes (to make large documents) before the xref table.
 */
export function makePdf({ pages = 1, color = false, marker = 'quire test page', pad = 0 } = {}) {
    const objs = [];
    const kids = [];
    objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
    objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
    for (let i = 0; i < pages; i++) {
        const page = 4 + 2 * i;
        const content = page + 1;
        kids.push(`${page} 0 R`);
        let ops = `BT /F1 24 Tf 72 720 Td (${marker} ${i + 1}) Tj ET`;
        if (color && i === 0)
            ops += '\n1 0 0 rg 72 400 200 100 re f';
        objs[page] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${content} 0 R >>`;
        objs[content] = `<< /Length ${Buffer.byteLength(ops)} >>\nstream\n${ops}\nendstream`;
    }
    objs[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
    const parts = ['%PDF-1.4\n'];
    let offset = parts[0].length;
    const offsets = [];
    for (let n = 1; n < objs.length; n++) {
        const text = `${n} 0 obj\n${objs[n]}\nendobj\n`;
        offsets[n] = offset;
        parts.push(text);
        offset += Buffer.byteLength(text);
    }
    if (pad > 0) {
        const line = `%${'x'.repeat(78)}\n`;
        const filler = line.repeat(Math.ceil(pad / line.length));
        parts.push(filler);
        offset += filler.length;
    }
    const xref = [`xref\n0 ${objs.length}\n`, '0000000000 65535 f \n'];
    for (let n = 1; n < objs.length; n++)
        xref.push(`${String(offsets[n]).padStart(10, '0')} 00000 n \n`);
    parts.push(...xref, `trailer\n<< /Size ${objs.length} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`);
    return Buffer.from(parts.join(''));
}
