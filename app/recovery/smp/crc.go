package smp

// crcTable is CRC-16/XMODEM (polynomial 0x1021, MSB first) one byte at a time; a table keeps the
// per-chunk cost negligible next to the line time.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 is CRC-16/XMODEM (init 0, no reflection, no final xor) as the SMP serial transport uses.
// Run over a body followed by its big-endian CRC it yields 0, which is how the decoder checks.
func CRC16(p []byte) uint16 {
	var c uint16
	for _, b := range p {
		c = c<<8 ^ crcTable[byte(c>>8)^b]
	}
	return c
}
