// SPDX-License-Identifier: Apache-2.0
// Scanned pages made at test time: text rendered at 300 dpi from a PDF written in code (so the
// ground truth is known), QR codes from `qrencode`, and text read back from PDFs with
// `pdftotext`. Nothing large is committed.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pdfDoc } from './pdf.js';

function tmpdir() {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'quire-scan-'));
}

function esc(s) {
    return s.replace(/[\\()]/g, (c) => '\\' + c);
}

/** A PDF page (A4) with lines of 14 pt Helvetica text from the top left. */
export function textPdf(lines) {
    const body = lines.map((l, i) => `BT /F1 14 Tf 72 ${760 - 22 * i} Td (${esc(l)}) Tj ET`).join('\n');
    return pdfDoc({ contents: [body] });
}

/** A grey PNG of lines of text, rendered at dpi (a page as a scanner would send it). */
export function textPng(lines, dpi = 300) {
    const dir = tmpdir();
    try {
        fs.writeFileSync(path.join(dir, 'p.pdf'), textPdf(lines));
        execFileSync('pdftoppm', ['-r', String(dpi), '-gray', '-png', '-singlefile', path.join(dir, 'p.pdf'), path.join(dir, 'p')]);
        return fs.readFileSync(path.join(dir, 'p.png'));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** A PNG of a QR code holding data. */
export function qrPng(data) {
    return execFileSync('qrencode', ['-o', '-', '-s', '8', '-m', '4', data]);
}

/** The text layer of a PDF (pdftotext, reading order). */
export function pdfText(buf) {
    const dir = tmpdir();
    try {
        fs.writeFileSync(path.join(dir, 'd.pdf'), buf);
        return execFileSync('pdftotext', ['-layout', path.join(dir, 'd.pdf'), '-']).toString();
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Page count of a PDF (pdfinfo). */
export function pdfPages(buf) {
    const dir = tmpdir();
    try {
        fs.writeFileSync(path.join(dir, 'd.pdf'), buf);
        const out = execFileSync('pdfinfo', [path.join(dir, 'd.pdf')]).toString();
        return Number(/Pages:\s+(\d+)/.exec(out)[1]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
