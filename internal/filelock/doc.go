// Package filelock takes advisory locks on open files (flock(2)), which the system releases
// when the file is closed or its process dies, even by kill -9. cyclegan train locks its run
// folder with one, and a download locks its partial archive, so that a second process can tell a
// file in use from one left behind by a dead process.
package filelock
