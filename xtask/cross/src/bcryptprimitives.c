/* Wine 8 has no ProcessPrng, which Rust's standard library (1.78 and later) imports from
   bcryptprimitives.dll on Windows: this one, put into the Wine prefix's system32, answers it
   with the random bytes Wine has (RtlGenRandom, exported as SystemFunction036). */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
