namespace UncertaintyService.Api.Tests.Support;

/// <summary>Compares doubles within an absolute tolerance, for Assert.Equal over sequences.</summary>
internal sealed class Tolerance(double epsilon) : IEqualityComparer<double>
{
    public bool Equals(double a, double b) => Math.Abs(a - b) <= epsilon;
    public int GetHashCode(double value) => 0;
}
