using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Cli.Pipeline;

/// <summary>A reliability diagram (accuracy against confidence per bin) for several methods on one split, as PNG.</summary>
public static class ReliabilityDiagram
{
    public static void Save(string path, string title, IReadOnlyDictionary<string, CalibrationMetrics> methods)
    {
        var plot = new ScottPlot.Plot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = ScottPlot.Colors.Gray;
        diagonal.LegendText = "perfect calibration";
        foreach (var (name, metrics) in methods)
        {
            var bins = (metrics.Bins ?? []).Where(b => b.Count > 0).ToList();
            if (bins.Count == 0) continue;
            var scatter = plot.Add.Scatter(bins.Select(b => b.Confidence).ToArray(), bins.Select(b => b.Accuracy).ToArray());
            scatter.LegendText = $"{name} (ECE {metrics.Ece:F3}, NLL {metrics.Nll:F3})";
            scatter.MarkerSize = 6;
        }
        plot.Title(title);
        plot.XLabel("confidence (top-class probability)");
        plot.YLabel("accuracy");
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 640, 480);
    }
}
