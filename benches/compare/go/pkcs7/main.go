// Command pkcs7 times Go's github.com/fullsailor/pkcs7 on the signed profiles that
// `mdm-compare gen DIR` writes, for the CMS verify rows of ../../table.py.
//
//	pkcs7 DIR   (prints `name<TAB>nanoseconds per operation`, median of 7 samples)
//
// Each operation is Parse followed by a verify, as our `mdm_signing::verify` parses too:
//   - signature_only: Verify(), the content digest and the signature, no chain (it does
//     check a signing-time attribute against the signer's validity, which ours does not);
//   - chain: VerifyWithChain with a pool holding the one anchor (the self-signed signer
//     certificate, as in ours), any extended key usage accepted (ours: check_purpose(false)).
//
// Built in GOPATH mode against Debian's golang-github-fullsailor-pkcs7-dev (see
// ../../../compare.sh), which since 0.0~git20210826 packages Mozilla's fork
// (go.mozilla.org/pkcs7) under the fullsailor import path.
package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/fullsailor/pkcs7"
)

// median returns the median nanoseconds per call of f over 7 samples, each about six
// times the smallest batch that takes more than 50 ms (as the Rust side's time()).
func median(f func()) float64 {
	n := 1
	for {
		start := time.Now()
		for i := 0; i < n; i++ {
			f()
		}
		if time.Since(start) > 50*time.Millisecond {
			break
		}
		n *= 2
	}
	perSample := n * 6
	samples := make([]float64, 7)
	for s := range samples {
		start := time.Now()
		for i := 0; i < perSample; i++ {
			f()
		}
		samples[s] = float64(time.Since(start).Nanoseconds()) / float64(perSample)
	}
	sort.Float64s(samples)
	return samples[3]
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "pkcs7 bench:", err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pkcs7 DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	for _, alg := range []string{"rsa2048", "p256"} {
		signed, err := os.ReadFile(filepath.Join(dir, "profile-"+alg+".p7m"))
		must(err)
		der, err := os.ReadFile(filepath.Join(dir, "signer-"+alg+".der"))
		must(err)
		anchor, err := x509.ParseCertificate(der)
		must(err)
		roots := x509.NewCertPool()
		roots.AddCert(anchor)

		// Check once that both policies accept the input before timing them.
		p7, err := pkcs7.Parse(signed)
		must(err)
		must(p7.Verify())
		must(p7.VerifyWithChain(roots))
		if len(p7.Content) == 0 {
			must(fmt.Errorf("%s: no content", alg))
		}

		only := median(func() {
			p, err := pkcs7.Parse(signed)
			must(err)
			must(p.Verify())
		})
		fmt.Printf("verify_%s.go_signature_only\t%.0f\n", alg, only)
		chain := median(func() {
			p, err := pkcs7.Parse(signed)
			must(err)
			must(p.VerifyWithChain(roots))
		})
		fmt.Printf("verify_%s.go_chain\t%.0f\n", alg, chain)
	}
}
