/*
 * bcryptprimitives.dll for Wine 8, used only by the CI check that runs the shipped Windows build
 * under Wine (scripts/check-windows-run.sh). It is never shipped to users.
 *
 * Go's runtime (1.24 and later) loads ProcessPrng from bcryptprimitives.dll while it starts, and
 * Debian's wine 8.0 has no such DLL, so every Go program dies before main ("bcryptprimitives.dll
 * not found"). Windows 10 and 11 have the real one. This DLL exports only ProcessPrng, with the
 * real one's contract: fill the buffer with cryptographically secure random bytes and return TRUE.
 * The bytes come from Wine's BCryptGenRandom (the system-preferred RNG); should that fail, from
 * RtlGenRandom (advapi32's SystemFunction036), which Go itself used before ProcessPrng. When both
 * fail it returns FALSE, and Go's runtime treats that as fatal, which is right for a random source.
 */
#include <windows.h>
#include <bcrypt.h>

#ifndef BCRYPT_USE_SYSTEM_PREFERRED_RNG
#define BCRYPT_USE_SYSTEM_PREFERRED_RNG 0x00000002
#endif

BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len); /* RtlGenRandom, advapi32 */

BOOL WINAPI ProcessPrng(PBYTE buf, SIZE_T len)
{
	/* Both sources take a ULONG length: fill SIZE_T-sized requests in ULONG-sized pieces. */
	while (len > 0) {
		ULONG n = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
		if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, buf, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG)) &&
		    !SystemFunction036(buf, n))
			return FALSE;
		buf += n;
		len -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)inst; (void)reason; (void)reserved;
	return TRUE;
}
