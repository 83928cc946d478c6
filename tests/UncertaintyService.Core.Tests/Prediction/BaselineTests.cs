using UncertaintyService.Core.Baselines;

namespace UncertaintyService.Core.Tests.Prediction;

/// <summary>The trivial predictors every calibration report carries.</summary>
public class BaselineTests
{
    private static readonly string[] Animals = ["cat", "dog", "horse", "cow"], Tools = ["hammer", "saw", "drill", "wrench"];

    private static (List<string> Texts, List<int> Labels) Task(int n, int seed)
    {
        var random = new Random(seed);
        var texts = new List<string>();
        var labels = new List<int>();
        for (int i = 0; i < n; i++)
        {
            // Three quarters of the examples are animals (label 0), the rest tools (label 1).
            int label = random.Next(4) == 0 ? 1 : 0;
            var words = label == 0 ? Animals : Tools;
            texts.Add($"the {words[random.Next(4)]} and the {words[random.Next(4)]} sat there");
            labels.Add(label);
        }
        return (texts, labels);
    }

    [Fact]
    public void FrequencyMajorityAndUniformAreWhatTheirNamesSay()
    {
        var (texts, labels) = Task(200, 1);
        var baselines = CalibrationBaselines.Fit(texts, labels, 2, [], []);

        var p = baselines.Predict(["anything"]);

        double share = labels.Count(l => l == 1) / 200.0;
        Assert.Equal(1 - share, p[CalibrationBaselines.Frequency][0][0], 12);
        Assert.Equal(share, p[CalibrationBaselines.Frequency][0][1], 12);
        Assert.Equal([1.0, 0.0], p[CalibrationBaselines.Majority][0]);
        Assert.Equal([0.5, 0.5], p[CalibrationBaselines.Uniform][0]);
    }

    [Fact]
    public void TheBagOfWordsModelLearnsWhichWordsMeanWhichLabel()
    {
        var (texts, labels) = Task(200, 2);
        var (validation, validationLabels) = Task(100, 3);
        var baselines = CalibrationBaselines.Fit(texts, labels, 2, validation, validationLabels);

        var p = baselines.Predict(["the hammer and the drill sat there", "the cat and the horse sat there"])[CalibrationBaselines.BagOfWordsName];

        Assert.True(p[0][1] > 0.9, $"tools: {p[0][1]}");
        Assert.True(p[1][0] > 0.9, $"animals: {p[1][0]}");
        Assert.True(baselines.Temperature > 0);
    }

    [Fact]
    public void ThePreferenceModelIsAntisymmetricAndLearnsAWordSignal()
    {
        var random = new Random(4);
        string[] nice = ["lovely", "great", "kind"], nasty = ["awful", "cruel", "vile"];
        var train = Enumerable.Range(0, 300).Select(_ => ($"a {nice[random.Next(3)]} day", $"a {nasty[random.Next(3)]} day")).ToList();
        var baselines = PreferenceBaselines.Fit(train, [("a kind day", "a vile day"), ("a great day", "a cruel day")]);

        var forward = baselines.Predict([("a lovely day", "an awful day")]);
        var backward = baselines.Predict([("an awful day", "a lovely day")]);

        double p = forward[CalibrationBaselines.BagOfWordsName][0];
        Assert.True(p > 0.8, $"P(lovely over awful) = {p}");
        Assert.Equal(1 - p, backward[CalibrationBaselines.BagOfWordsName][0], 12);
        Assert.False(forward.ContainsKey(CalibrationBaselines.Frequency)); // the pair's order would give the answer away
        Assert.Equal(0.5, forward[CalibrationBaselines.Uniform][0]);
    }
}
