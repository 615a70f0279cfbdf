package report

import (
	"fmt"
	"io"
	"strconv"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/perfgate/perfgate/internal/results"
)

// shardRows are the shards of merged results (perfgate merge), one row
// each: index, host, requests, req/s, goodput, CPU, clock offset and
// whether it was the bottleneck.
func shardRows(res *results.Results, cell func(string) string) (table.Row, []table.Row) {
	head := table.Row{"Shard", "Host", "Requests", "Req/s", "Goodput/s", "CPU", "Clock", "Bottleneck"}
	var rows []table.Row
	for _, s := range res.Shards {
		bott := "no"
		if s.Bottleneck != "" {
			bott = "YES: " + s.Bottleneck
		}
		clock := "?"
		if s.ClockSource != "" {
			clock = fmt.Sprintf("%+.2fs ±%.2f", s.ClockOffsetS, s.ClockUncertaintyS)
		}
		rows = append(rows, table.Row{
			fmt.Sprintf("%d/%d", s.Index, s.Count), cell(s.Host.Hostname), s.Requests,
			strconv.FormatFloat(s.AttemptRPS, 'f', 1, 64), strconv.FormatFloat(s.ThroughputRPS, 'f', 1, 64),
			strconv.FormatFloat(100*s.CPUUtil, 'f', 0, 64) + "%", clock, bott,
		})
	}
	return head, rows
}

var shardAlign = []table.ColumnConfig{
	{Number: 3, Align: text.AlignRight}, {Number: 4, Align: text.AlignRight},
	{Number: 5, Align: text.AlignRight}, {Number: 6, Align: text.AlignRight},
}

// ShardsTable renders the shards of merged results for a terminal; nothing
// when res has none.
func ShardsTable(w io.Writer, res *results.Results, color bool) error {
	if len(res.Shards) == 0 {
		return nil
	}
	t := table.NewWriter()
	if color {
		t.SetStyle(table.StyleRounded)
	} else {
		t.SetStyle(table.StyleLight)
	}
	head, rows := shardRows(res, singleLine)
	t.AppendHeader(head)
	for _, r := range rows {
		t.AppendRow(r)
	}
	t.SetColumnConfigs(shardAlign)
	ew := &errWriter{w: w}
	ew.printf("\nmerged from %d shards:\n%s\n", len(res.Shards), t.Render())
	for _, s := range res.Shards {
		if s.Bottleneck != "" {
			ew.printf("shard %d/%d may have limited the load: %s\n", s.Index, s.Count, singleLine(s.BottleneckNote))
		}
	}
	return ew.err
}

// markdownShards is ShardsTable in Markdown ("" without shards).
func markdownShards(res *results.Results) string {
	if len(res.Shards) == 0 {
		return ""
	}
	t := table.NewWriter()
	head, rows := shardRows(res, mdCell)
	t.AppendHeader(head)
	for _, r := range rows {
		t.AppendRow(r)
	}
	t.SetColumnConfigs(shardAlign)
	out := fmt.Sprintf("\n\nMerged from %d shards:\n\n%s", len(res.Shards), t.RenderMarkdown())
	for _, s := range res.Shards {
		if s.Bottleneck != "" {
			out += fmt.Sprintf("\n- shard %d/%d may have limited the load: %s", s.Index, s.Count, mdText(s.BottleneckNote))
		}
	}
	return out
}
