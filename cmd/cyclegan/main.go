package main

import "github.com/zebra-go/zebra/internal/cli"

var commands = []cli.Command{
	{Name: "train", Summary: "train a CycleGAN (or continue one with -resume)", Run: runTrain},
	{Name: "translate", Summary: "translate images with a trained generator", Run: runTranslate},
	{Name: "download", Summary: "download a CycleGAN dataset by name", Run: runDownload},
	{Name: "download-model", Summary: "download one of the authors' pretrained generators by name", Run: runDownloadModel},
	{Name: "export", Summary: "write a checkpoint's networks alone, to share or bundle", Run: runExport},
	{Name: "eval", Summary: "measure FID and KID of generated images, or of a checkpoint on the test set", Run: runEval},
	{Name: "serve", Summary: "serve trained generators over HTTP, with a web page to try them", Run: runServe},
}

func main() { cli.Main("cyclegan", commands) }
