//go:build !linux

package bundle

// payloadBuffer returns a buffer for an n-byte payload and the function that frees it once
// the payload is decoded (on Linux, a large payload is read into huge pages outside the Go
// heap: see decode_linux.go).
func payloadBuffer(n int) (buf []byte, free func()) {
	return make([]byte, n), func() {}
}
