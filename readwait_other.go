// readwait_other.go is readwait_unix.go's stand-in where the socket cannot
// be read directly: the reader simply blocks in gorilla's frame reader.

//go:build !unix

package main

func (b *batchConn) waitReadable() {}
