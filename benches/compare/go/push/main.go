// Command push is the Go peer of `mdmctl push --count N` for ../../push_cpu.py: it sends N
// APNs-style MDM pushes over one HTTP/2 connection (golang.org/x/net/http2's Transport,
// TLS with a client certificate) and prints one JSON line per result and a summary line,
// as mdmctl does, so that the CPU the two processes use can be compared. Each line is its
// own write(2), as with mdmctl, whose stdout is Rust's line-buffered one.
//
//	push -url https://127.0.0.1:PORT -cert C -key K -ca CA -token HEX -magic M -topic T
//	     [-count N] [-concurrency N]
//
// Each push is POST /3/device/<token> with content-type: application/json, apns-topic,
// apns-push-type: mdm, apns-priority: 10 and the body {"mdm":"<magic>"}, the request
// mdm-apns builds. Exits 1 when a push failed or when more than one connection was dialed.
//
// Built in GOPATH mode against Debian's golang-golang-x-net-dev (see ../../../compare.sh).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
)

type result struct {
	Token  string  `json:"token"`
	OK     bool    `json:"ok"`
	ApnsID *string `json:"apns_id"`
	Status int     `json:"status,omitempty"`
	Error  string  `json:"error,omitempty"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "push: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	url := flag.String("url", "", "https://host:port of the APNs stand-in")
	certFile := flag.String("cert", "", "client certificate PEM")
	keyFile := flag.String("key", "", "client key PEM")
	caFile := flag.String("ca", "", "CA PEM the server certificate is checked against")
	token := flag.String("token", "", "device token, hex")
	magic := flag.String("magic", "", "push magic")
	topic := flag.String("topic", "", "apns-topic")
	count := flag.Int("count", 1, "pushes to send")
	concurrency := flag.Int("concurrency", 500, "pushes in flight at most")
	flag.Parse()
	if *url == "" || *certFile == "" || *keyFile == "" || *caFile == "" || *token == "" ||
		*magic == "" || *topic == "" || *count < 1 || *concurrency < 1 {
		flag.Usage()
		os.Exit(2)
	}

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		fail("client identity: %v", err)
	}
	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		fail("%v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		fail("no certificate in %s", *caFile)
	}
	var dials int32
	transport := &http2.Transport{
		TLSClientConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			RootCAs:      roots,
		},
		// Wait for a free stream instead of opening a second connection at the server's
		// SETTINGS_MAX_CONCURRENT_STREAMS.
		StrictMaxConcurrentStreams: true,
		DialTLSContext: func(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error) {
			atomic.AddInt32(&dials, 1)
			d := tls.Dialer{Config: cfg}
			return d.DialContext(ctx, network, addr)
		},
	}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	target := *url + "/3/device/" + *token
	body, _ := json.Marshal(map[string]string{"mdm": *magic})
	send := func() result {
		r := result{Token: *token}
		req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			r.Error = err.Error()
			return r
		}
		req.Header.Set("content-type", "application/json")
		req.Header.Set("apns-topic", *topic)
		req.Header.Set("apns-push-type", "mdm")
		req.Header.Set("apns-priority", "10")
		resp, err := client.Do(req)
		if err != nil {
			r.Error = err.Error()
			return r
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		r.OK = resp.StatusCode == http.StatusOK
		if !r.OK {
			r.Status = resp.StatusCode
		}
		if id := resp.Header.Get("apns-id"); id != "" {
			r.ApnsID = &id
		}
		return r
	}

	start := time.Now()
	results := make([]result, *count)
	var next int64 = -1
	var wg sync.WaitGroup
	workers := *concurrency
	if workers > *count {
		workers = *count
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := atomic.AddInt64(&next, 1)
				if i >= int64(*count) {
					return
				}
				results[i] = send()
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()

	// An Encoder on the unbuffered os.Stdout: one write per line, as mdmctl.
	enc := json.NewEncoder(os.Stdout)
	ok := 0
	for i := range results {
		if results[i].OK {
			ok++
		}
		_ = enc.Encode(&results[i])
	}
	_ = enc.Encode(map[string]interface{}{
		"sent": *count, "ok": ok, "failed": *count - ok, "seconds": secs,
		"pushes_per_s": float64(*count) / secs, "connections": atomic.LoadInt32(&dials),
	})
	if ok != *count {
		fail("%d of %d pushes failed", *count-ok, *count)
	}
	if n := atomic.LoadInt32(&dials); n != 1 {
		fail("%d connections dialed, want 1", n)
	}
}
