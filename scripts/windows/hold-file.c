/* hold-file: holds a file open as Excel holds a workbook, for scripts/windows-check.
 *
 *   hold-file.exe <file> <seconds> <ready-file>
 *
 * Opens <file> for reading and writing with no sharing (share mode 0: nobody else may open,
 * replace or delete it), then creates <ready-file> and keeps the file open for <seconds>. Exits 2
 * when the file cannot be opened. Built with mingw-w64 (`-municode`); never shipped. */
#include <windows.h>
#include <stdio.h>
#include <wchar.h>

int wmain(int argc, wchar_t **argv) {
    if (argc != 4) {
        fwprintf(stderr, L"usage: hold-file <file> <seconds> <ready-file>\n");
        return 2;
    }
    HANDLE held = CreateFileW(argv[1], GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, NULL);
    if (held == INVALID_HANDLE_VALUE) {
        fwprintf(stderr, L"hold-file: cannot open %ls: error %lu\n", argv[1], GetLastError());
        return 2;
    }
    HANDLE ready = CreateFileW(argv[3], GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                               FILE_ATTRIBUTE_NORMAL, NULL);
    if (ready != INVALID_HANDLE_VALUE) {
        CloseHandle(ready);
    }
    Sleep((DWORD)_wtoi(argv[2]) * 1000);
    CloseHandle(held);
    return 0;
}
