// Package atomicfile writes files so that a crash or an error never leaves a partial one: the
// contents go to a temporary file in the same directory, which is synced, given its permissions
// and renamed over the destination, and the directory is synced so that the rename itself
// survives a power cut. A reader of the path sees either the old file or the whole new one. Every
// file zebra writes (checkpoints, images, reports) goes through Write.
package atomicfile
