using System.Globalization;
using System.Text;
using UncertaintyService.Core.Bundles;

namespace UncertaintyService.Api.Http;

/// <summary>
/// A reliability diagram as SVG, drawn from calibration.json's bins: per confidence bin a bar of the
/// accuracy observed, its mean confidence as a tick, the diagonal of perfect calibration, bar opacity
/// by the share of examples in the bin; ECE, accuracy and n in the title. With live bins, the live
/// accuracy per bin is drawn over the offline bars as orange outlines, and the live figures under the title.
/// </summary>
public static class ReliabilitySvg
{
    private const int Size = 320, Margin = 40, Plot = Size - 2 * Margin;

    public static string Render(string title, CalibrationMetrics metrics, CalibrationMetrics? live = null)
    {
        static string F(double x) => x.ToString("0.###", CultureInfo.InvariantCulture);
        double X(double p) => Margin + p * Plot;
        double Y(double p) => Margin + (1 - p) * Plot;
        var bins = metrics.Bins ?? [];
        int total = Math.Max(1, bins.Sum(b => b.Count));
        var svg = new StringBuilder();
        svg.Append($"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {Size} {Size}" width="{Size}" height="{Size}" font-family="sans-serif" font-size="11" role="img">""");
        svg.Append($"<title>{Escape(title)}</title>");
        svg.Append($"""<rect x="{Margin}" y="{Margin}" width="{Plot}" height="{Plot}" fill="#fafafa" stroke="#999"/>""");
        foreach (var bin in bins.Where(b => b.Count > 0))
        {
            double share = (double)bin.Count / total, opacity = 0.35 + 0.65 * Math.Sqrt(share);
            svg.Append($"""<rect class="bin" x="{F(X(bin.Lower) + 1)}" y="{F(Y(bin.Accuracy))}" width="{F((bin.Upper - bin.Lower) * Plot - 2)}" height="{F(bin.Accuracy * Plot)}" fill="#3b6fb6" fill-opacity="{F(opacity)}"><title>confidence {F(bin.Confidence)}, accuracy {F(bin.Accuracy)}, {bin.Count} examples</title></rect>""");
            svg.Append($"""<line x1="{F(X(bin.Lower) + 1)}" x2="{F(X(bin.Upper) - 1)}" y1="{F(Y(bin.Confidence))}" y2="{F(Y(bin.Confidence))}" stroke="#d0432b" stroke-width="2"/>""");
        }
        foreach (var bin in (live?.Bins ?? []).Where(b => b.Count > 0))
            svg.Append($"""<rect class="live-bin" x="{F(X(bin.Lower) + 2)}" y="{F(Y(bin.Accuracy))}" width="{F((bin.Upper - bin.Lower) * Plot - 4)}" height="{F(bin.Accuracy * Plot)}" fill="none" stroke="#e07b00" stroke-width="2.5"><title>live: confidence {F(bin.Confidence)}, accuracy {F(bin.Accuracy)}, {bin.Count} outcomes</title></rect>""");
        svg.Append($"""<line x1="{X(0)}" y1="{Y(0)}" x2="{X(1)}" y2="{Y(1)}" stroke="#555" stroke-dasharray="4 3"/>""");
        for (int i = 0; i <= 4; i++)
        {
            double p = i / 4.0;
            svg.Append($"""<text x="{F(X(p))}" y="{Size - Margin + 14}" text-anchor="middle">{F(p)}</text>""");
            svg.Append($"""<text x="{Margin - 6}" y="{F(Y(p) + 4)}" text-anchor="end">{F(p)}</text>""");
        }
        svg.Append($"""<text x="{Size / 2}" y="{Size - 6}" text-anchor="middle">confidence</text>""");
        svg.Append($"""<text x="12" y="{Size / 2}" text-anchor="middle" transform="rotate(-90 12 {Size / 2})">accuracy</text>""");
        svg.Append($"""<text x="{Size / 2}" y="16" text-anchor="middle" font-weight="bold">{Escape(title)}</text>""");
        svg.Append($"""<text x="{Size / 2}" y="30" text-anchor="middle">ECE {F(metrics.Ece)} · acc {F(metrics.Acc)} · NLL {F(metrics.Nll)} · n {metrics.N}</text>""");
        if (live is not null)
            svg.Append($"""<text x="{Size / 2}" y="{Margin + 14}" text-anchor="middle" fill="#b55f00">live ECE {F(live.Ece)} · acc {F(live.Acc)} · n {live.N}</text>""");
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static string Escape(string text) => System.Security.SecurityElement.Escape(text) ?? "";
}
