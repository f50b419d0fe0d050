//go:build ignore

// pack writes one release archive with reproducible bytes: entries in a
// fixed order, every mtime set to SOURCE_DATE_EPOCH, owner root, fixed
// modes, no build paths. Run by release.sh:
//
//	go run .ci/pack.go OUT.tar.gz|OUT.zip PREFIX FILE...
//
// Each FILE goes into the archive as PREFIX/<base name>; executables
// (names without an extension, or .exe) get mode 0755, the rest 0644.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: go run .ci/pack.go OUT.tar.gz|OUT.zip PREFIX FILE...")
		os.Exit(2)
	}
	out, prefix, files := os.Args[1], os.Args[2], os.Args[3:]
	epoch, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	if err != nil {
		fail(fmt.Errorf("SOURCE_DATE_EPOCH must be set to a unix time: %w", err))
	}
	mtime := time.Unix(epoch, 0).UTC()
	sort.Slice(files, func(i, j int) bool { return filepath.Base(files[i]) < filepath.Base(files[j]) })
	f, err := os.Create(out)
	if err != nil {
		fail(err)
	}
	if strings.HasSuffix(out, ".zip") {
		err = writeZip(f, prefix, files, mtime)
	} else {
		err = writeTarGz(f, prefix, files, mtime)
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pack:", err)
	os.Exit(1)
}

func mode(name string) int64 {
	if ext := path.Ext(name); ext == "" || ext == ".exe" {
		return 0o755
	}
	return 0o644
}

func writeTarGz(w io.Writer, prefix string, files []string, mtime time.Time) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	gz.ModTime = mtime // the gzip header's time, fixed too
	tw := tar.NewWriter(gz)
	dir := &tar.Header{Typeflag: tar.TypeDir, Name: prefix + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatUSTAR}
	if err := tw.WriteHeader(dir); err != nil {
		return err
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		name := path.Join(prefix, filepath.Base(file))
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(data)), Mode: mode(name), ModTime: mtime,
			Uname: "root", Gname: "root", Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, prefix string, files []string, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		name := path.Join(prefix, filepath.Base(file))
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(os.FileMode(mode(name)))
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(data); err != nil {
			return err
		}
	}
	return zw.Close()
}
