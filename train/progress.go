package train

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Status is the state of a training run, reported to a Progress after every step.
type Status struct {
	// Step is the number of steps done (the global step); TotalSteps the number the run ends at;
	// StartStep the step the run (or resumed run) started from.
	Step, TotalSteps, StartStep int
	// Epoch is the current epoch, from 1; StepsPerEpoch the number of steps in one.
	Epoch, StepsPerEpoch int
	// Loss is the moving average of the training loss.
	Loss float64
	// StepsPerSecond is the training speed so far in this run.
	StepsPerSecond float64
	// Elapsed is the time since this run started; Remaining the estimated time to its end.
	Elapsed, Remaining time.Duration
	// ValMetric names the validation metric; Val is its last value (NaN before the first).
	ValMetric string
	Val       float64
}

// Progress shows a training run's progress.
type Progress interface {
	// Update reports the status after a step; it must be cheap (implementations throttle).
	Update(s Status)
	// Done reports the final status; no Update follows.
	Done(s Status)
}

// ProgressBar is a terminal progress bar: step count, epoch, loss, validation metric, speed, and
// elapsed and remaining time, redrawn in place.
type ProgressBar struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// NewProgressBar returns a progress bar that draws on w (usually os.Stderr, a terminal).
func NewProgressBar(w io.Writer) *ProgressBar { return &ProgressBar{w: w} }

// Update implements Progress.
func (p *ProgressBar) Update(s Status) {
	if p.bar == nil {
		p.bar = progressbar.NewOptions(s.TotalSteps,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetWidth(24),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("steps"),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionSetRenderBlankState(true),
		)
		_ = p.bar.Set(s.StartStep)
	}
	p.bar.Describe(describe(s, false))
	_ = p.bar.Set(s.Step)
}

// Done implements Progress.
func (p *ProgressBar) Done(s Status) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(describe(s, true))
	_ = p.bar.Set(s.Step)
	_ = p.bar.Finish()
	fmt.Fprintln(p.w)
}

// ProgressLog writes one line of progress at most every Every (and at the end): for logs and
// terminals that cannot redraw a line.
type ProgressLog struct {
	w     io.Writer
	every time.Duration
	last  time.Time
}

// NewProgressLog returns a Progress that writes a line to w at most every interval.
func NewProgressLog(w io.Writer, every time.Duration) *ProgressLog {
	return &ProgressLog{w: w, every: every}
}

// Update implements Progress.
func (p *ProgressLog) Update(s Status) {
	now := time.Now()
	if !p.last.IsZero() && now.Sub(p.last) < p.every {
		return
	}
	if p.last.IsZero() {
		p.last = now // the first line after one interval
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "step %d/%d %s\n", s.Step, s.TotalSteps, describe(s, false))
}

// Done implements Progress.
func (p *ProgressLog) Done(s Status) {
	fmt.Fprintf(p.w, "step %d/%d %s\n", s.Step, s.TotalSteps, describe(s, true))
}

// describe formats a status's epoch, loss, validation metric, speed and time.
func describe(s Status, done bool) string {
	out := fmt.Sprintf("epoch %d · loss %.4f", s.Epoch, s.Loss)
	if s.ValMetric != "" && !math.IsNaN(s.Val) {
		out += fmt.Sprintf(" · val %s %.4f", s.ValMetric, s.Val)
	}
	out += fmt.Sprintf(" · %.1f steps/s", s.StepsPerSecond)
	if done {
		out += " · " + roundDuration(s.Elapsed).String()
	} else {
		out += fmt.Sprintf(" · %s elapsed, %s left", roundDuration(s.Elapsed), roundDuration(s.Remaining))
	}
	return out
}

// roundDuration rounds d to a second (to a tenth below 10 s).
func roundDuration(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
