#!/usr/bin/env python3
# An independent decoder of one UEFI load option (EFI_LOAD_OPTION, UEFI 2.10
# §3.1.3) for Hull's tests: the header is read here, the device path is
# formatted by libefivar (efidp_format_device_path, the library efibootmgr
# prints boot entries with; Debian package libefivar1).
# Usage: decode_load_option.py FILE [--efivarfs]
#   FILE holds the option's bytes; with --efivarfs, 4 bytes of variable
#   attributes come first (as efivarfs presents a variable).
# Prints: attributes=0x1 description=TEXT path=HD(...)/File(...)
import ctypes
import struct
import sys

data = open(sys.argv[1], 'rb').read()
if '--efivarfs' in sys.argv[2:]:
    print(f'varattrs=0x{struct.unpack_from("<I", data)[0]:x}', end=' ')
    data = data[4:]
attrs, path_len = struct.unpack_from('<IH', data)
end = 6
while data[end:end + 2] != b'\0\0':
    end += 2
desc = data[6:end].decode('utf-16-le')
path = data[end + 2:end + 2 + path_len]
if len(path) != path_len or end + 2 + path_len != len(data):
    sys.exit(f'decode_load_option: FilePathListLength {path_len} does not end the option')
lib = ctypes.CDLL('libefivar.so.1')
lib.efidp_format_device_path.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                         ctypes.c_ssize_t]
lib.efidp_format_device_path.restype = ctypes.c_ssize_t
buf = ctypes.create_string_buffer(4096)
n = lib.efidp_format_device_path(buf, len(buf), path, len(path))
if n < 0:
    sys.exit('decode_load_option: libefivar cannot format the device path')
print(f'attributes=0x{attrs:x} description={desc} path={buf.value.decode()}')
