// readwait_other.go is readwait_unix.go's stand-in where there is no
// MSG_PEEK: the reader simply blocks in gorilla's frame reader.

//go:build !unix

package main

func (b *batchConn) waitReadable() {}
