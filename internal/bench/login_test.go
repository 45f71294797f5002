package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"frontdesk"
	"frontdesk/internal/testkit"
)

// BenchmarkLoginBurst sends 200 wrong passwords for one account at once
// while a member of another clinic reads its services, and reports how
// many password checks the burst cost (each is an argon2id hash) and the
// other clinic's p99 during the burst against its p99 idle.
func BenchmarkLoginBurst(b *testing.B) {
	d := testkit.NewDB(b)
	w := testkit.TwoClinics(b, d)
	api := newAPI(b, d, nil)
	tokA, _ := api.issuer.Issue(w.A.Owner.ID, frontdesk.OrgID{}, time.Hour)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	services := func(n int) result {
		var r result
		start := time.Now()
		for range n {
			req, _ := http.NewRequest(http.MethodGet, api.url+"/api/services", nil)
			req.Header.Set("Authorization", "Bearer "+tokA)
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			r.lat = append(r.lat, time.Since(t0))
		}
		r.elapsed = time.Since(start)
		return r
	}
	b.ResetTimer()
	idle := services(200)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	body, _ := json.Marshal(map[string]string{"email": w.B.Staff.Email, "password": "wrong-password"})
	burstStart := time.Now()
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := client.Post(api.url+"/api/auth/login", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			mu.Lock()
			statuses[res.StatusCode]++
			mu.Unlock()
		}()
	}
	during := services(200)
	wg.Wait()
	burst := time.Since(burstStart)
	b.StopTimer()
	checks := statuses[http.StatusUnauthorized] // a 401 is only answered after a password check
	fmt.Printf("login burst, 200 wrong passwords for one account at once: %d password checks, %d refused before any (429), burst over in %s\n",
		checks, statuses[http.StatusTooManyRequests], burst.Round(time.Millisecond))
	fmt.Printf("another clinic's GET /api/services: p99 %s idle, %s during the burst (%.2fx)\n",
		idle.p(99).Round(10*time.Microsecond), during.p(99).Round(10*time.Microsecond), ratio(during.p(99), idle.p(99)))
	b.ReportMetric(float64(checks), "password-checks")
	b.ReportMetric(ratio(during.p(99), idle.p(99)), "other-clinic-p99-ratio")
}
