// Package download fetches the CycleGAN datasets that the paper's authors publish as zip
// archives (the files the official datasets/download_cyclegan_dataset.sh fetches) and unpacks
// them safely: no entry can write outside the target folder, links and special files are
// refused, and sizes are bounded so a hostile archive cannot fill the disk. The archive is
// downloaded to a temporary file and unpacked into a temporary folder, so a failed or
// interrupted download leaves nothing half-written behind.
//
// Model fetches one of the authors' pretrained generators (scripts/download_cyclegan_model.sh's
// list), a .pth file written to a temporary name and renamed into place only when complete and
// recognized as a torch.save file (model.go). It also fetches pytorch-fid's Inception weights
// (FIDInception) from pytorch-fid's GitHub releases, checked against the SHA-256 prefix in their
// file name.
package download
