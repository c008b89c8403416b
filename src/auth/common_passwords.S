/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the common-password list (AUTH-2) built into the binary, so it always ships. */
    .section .rodata
    .global qr_common_passwords_data
    .global qr_common_passwords_size
    .balign 16
qr_common_passwords_data:
    .incbin "data/common-passwords.txt"
qr_common_passwords_end:
    .balign 8
qr_common_passwords_size:
    .quad qr_common_passwords_end - qr_common_passwords_data
    .section .note.GNU-stack,"",@progbits
