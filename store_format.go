// store_format.go owns the database's format version and the migrations
// that bring an older file up to this build's format.

package main

// databaseFormat is the format of the records this build writes. Format 0
// is every database from before formats were recorded.
const databaseFormat = 0
