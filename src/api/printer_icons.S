/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the IPP queue's printer-icons (48, 128 and 512 px PNG, drawn from web/logo.svg by
 * scripts/printer-icons.py) built into the binary; served by src/api/ipp.c. */
    .section .rodata
    .global qr_printer_icon_48
    .global qr_printer_icon_128
    .global qr_printer_icon_512
    .global qr_printer_icon_sizes
    .balign 16
qr_printer_icon_48:
    .incbin "data/icons/printer-48.png"
qr_printer_icon_48_end:
    .balign 16
qr_printer_icon_128:
    .incbin "data/icons/printer-128.png"
qr_printer_icon_128_end:
    .balign 16
qr_printer_icon_512:
    .incbin "data/icons/printer-512.png"
qr_printer_icon_512_end:
    .balign 8
qr_printer_icon_sizes:
    .quad qr_printer_icon_48_end - qr_printer_icon_48
    .quad qr_printer_icon_128_end - qr_printer_icon_128
    .quad qr_printer_icon_512_end - qr_printer_icon_512
    .section .note.GNU-stack,"",@progbits
