// SPDX-License-Identifier: Apache-2.0
// Well-formed test PDFs made in code (objects, xref table and trailer with exact offsets), so
// that a strict reader gets the page count and colour without having to repair anything.

/**
 * A valid PDF with a correct xref table: one page per entry of contents (content streams),
 * padded with comment lines (before the xref) to about size bytes.
 */
export function pdfDoc({ contents = [text('quire test page')], size = 0, encrypt = null } = {}) {
    const n = contents.length;
    const objs = [
        '<< /Type /Catalog /Pages 2 0 R >>',
        `<< /Type /Pages /Kids [${contents.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${n} >>`,
        '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ];
    contents.forEach((c, i) => {
        objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`);
        objs.push(`<< /Length ${Buffer.byteLength(c)} >>\nstream\n${c}\nendstream`);
    });
    if (encrypt)
        objs.push(encrypt);
    let out = '%PDF-1.4\n';
    const offsets = objs.map((o, i) => {
        const at = Buffer.byteLength(out);
        out += `${i + 1} 0 obj\n${o}\nendobj\n`;
        return at;
    });
    const tail = 200 + 20 * objs.length;
    if (size > Buffer.byteLength(out) + tail)
        out += `%${'x'.repeat(78)}\n`.repeat(Math.ceil((size - Buffer.byteLength(out) - tail) / 80));
    const xref = Buffer.byteLength(out);
    out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
    out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
    const extra = encrypt ? ` /Encrypt ${objs.length} 0 R /ID [<${'ab'.repeat(16)}> <${'ab'.repeat(16)}>]` : '';
    out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R${extra} >>\nstartxref\n${xref}\n%%EOF\n`;
    return Buffer.from(out);
}

/** Black text in the standard Helvetica. */
export function text(s) {
    return `BT /F1 24 Tf 72 720 Td (${s}) Tj ET`;
}

/**
 * A PDF of `pages` A4 pages, each with a line of text; with color, page 1 also holds a red
 * rectangle. size pads it to about that many bytes.
 */
export function makePdf({ pages = 1, color = false, marker = 'quire test page', size = 0 } = {}) {
    const contents = [];
    for (let i = 0; i < pages; i++)
        contents.push(text(`${marker} ${i + 1}`) + (color && i === 0 ? '\n1 0 0 rg 72 400 200 100 re f' : ''));
    return pdfDoc({ contents, size });
}
