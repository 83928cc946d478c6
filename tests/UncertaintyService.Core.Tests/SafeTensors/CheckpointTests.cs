using System.Text.Json;
using TorchSharp;
using UncertaintyService.Core.SafeTensors;
using static UncertaintyService.Core.Tests.SafeTensors.RoundTripTests;

namespace UncertaintyService.Core.Tests.SafeTensors;

public sealed class CheckpointTests : IDisposable
{
    private const string IndexName = "model.safetensors.index.json";
    private const string Shard1 = "model-00001-of-00002.safetensors";
    private const string Shard2 = "model-00002-of-00002.safetensors";

    private readonly TempFolder _dir = new();
    private readonly string _folder;
    private readonly torch.Tensor _embed = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
    private readonly torch.Tensor _norm = torch.tensor(new float[] { 0.5f, -0.5f }).to(torch.ScalarType.BFloat16);
    private readonly torch.Tensor _head = torch.tensor(new double[] { -1, 0, 1 });
    private readonly torch.Tensor _step = torch.tensor(12345L);

    public CheckpointTests()
    {
        // The checkpoint sits one level down so traversal targets can exist inside the temp directory.
        _folder = Directory.CreateDirectory(Path.Combine(_dir.Path, "checkpoint")).FullName;
    }

    public void Dispose()
    {
        foreach (var tensor in new[] { _embed, _norm, _head, _step })
        {
            tensor.Dispose();
        }
        _dir.Dispose();
    }

    [Fact]
    public void ShardedCheckpointLoadsEveryTensorFromItsShard()
    {
        WriteShards();
        WriteIndex(("embed", Shard1), ("norm", Shard1), ("head", Shard2), ("step", Shard2));

        using var checkpoint = SafeTensorsCheckpoint.Open(_folder);

        Assert.Equal(_folder, checkpoint.Folder);
        Assert.Equal(["embed", "norm", "head", "step"], checkpoint.Names);
        Assert.True(checkpoint.Contains("head"));
        Assert.False(checkpoint.Contains("missing"));
        Assert.Equal("BF16", checkpoint.GetEntry("norm").DType);
        using var embed = checkpoint.Load("embed");
        using var norm = checkpoint.Load("norm", torch.ScalarType.Float32);
        using var head = checkpoint.Load("head", device: torch.CPU);
        using var step = checkpoint.Load("step");
        Assert.Equal([3L, 2L], embed.shape);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], embed.data<float>().ToArray());
        Assert.Equal([0.5f, -0.5f], norm.data<float>().ToArray());
        Assert.Equal([-1.0, 0.0, 1.0], head.data<double>().ToArray());
        Assert.Equal(12345L, step.item<long>());
        var missing = Assert.Throws<SafeTensorsFormatException>(() => checkpoint.Load("missing"));
        Assert.Equal("missing", missing.TensorName);
    }

    [Fact]
    public void SingleFileCheckpointLoads()
    {
        SafeTensorsWriter.Write(InFolder("model.safetensors"), Named(("embed", _embed), ("step", _step)));

        using var checkpoint = SafeTensorsCheckpoint.Open(_folder);

        Assert.Equal(["embed", "step"], checkpoint.Names);
        using var embed = checkpoint.Load("embed", torch.ScalarType.Float64);
        Assert.Equal([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], embed.data<double>().ToArray());
    }

    [Fact]
    public void EmptyFolderNamesTheFolderAndBothExpectedFiles()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => SafeTensorsCheckpoint.Open(_folder));

        Assert.Contains(_folder, ex.Message);
        Assert.Contains(IndexName, ex.Message);
        Assert.Contains("'model.safetensors'", ex.Message);
    }

    [Fact]
    public void MissingShardNamesIndexShardAndTensor()
    {
        SafeTensorsWriter.Write(InFolder(Shard1), Named(("embed", _embed)));
        WriteIndex(("embed", Shard1), ("head", Shard2));

        AssertIndexRejected("head", Shard2, "does not exist");
    }

    [Fact]
    public void MapEntryAbsentFromItsShard()
    {
        WriteShards();
        WriteIndex(("embed", Shard1), ("norm", Shard1), ("head", Shard2), ("step", Shard2), ("lm_head.bias", Shard2));

        AssertIndexRejected("lm_head.bias", Shard2, "has no such tensor");
    }

    [Fact]
    public void ShardTensorMissingFromTheMap()
    {
        WriteShards();
        WriteIndex(("embed", Shard1), ("norm", Shard1), ("head", Shard2));

        AssertIndexRejected("step", Shard2, "not listed in weight_map");
    }

    [Fact]
    public void ShardTensorMappedToAnotherShard()
    {
        SafeTensorsWriter.Write(InFolder(Shard1), Named(("embed", _embed), ("head", _head)));
        SafeTensorsWriter.Write(InFolder(Shard2), Named(("head", _head)));
        WriteIndex(("embed", Shard1), ("head", Shard2));

        AssertIndexRejected("head", Shard1, Shard2);
    }

    [Theory]
    [InlineData("../outside.safetensors")]
    [InlineData("sub/model.safetensors")]
    [InlineData("..\\outside.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData("..")]
    [InlineData("")]
    public void ShardNameThatIsNotAPlainFileName(string shardName)
    {
        // The files the relative names point at exist, so only the name check can stop them.
        SafeTensorsWriter.Write(Path.Combine(_dir.Path, "outside.safetensors"), Named(("embed", _embed)));
        Directory.CreateDirectory(InFolder("sub"));
        SafeTensorsWriter.Write(InFolder("sub/model.safetensors"), Named(("embed", _embed)));
        WriteIndex(("embed", shardName));

        AssertIndexRejected("embed", shardName, "not a plain file name");
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("""{"metadata":{}}""", "weight_map")]
    [InlineData("""{"weight_map":{}}""", "no tensors")]
    public void IndexWithoutAUsableWeightMap(string index, string problem)
    {
        File.WriteAllText(InFolder(IndexName), index);

        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsCheckpoint.Open(_folder));

        Assert.Equal(InFolder(IndexName), ex.FilePath);
        Assert.Contains(IndexName, ex.Message);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public void BrokenShardIsNamedByItsOwnPath()
    {
        File.WriteAllBytes(InFolder(Shard1), new byte[4]);
        WriteIndex(("embed", Shard1));

        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsCheckpoint.Open(_folder));

        Assert.Equal(InFolder(Shard1), ex.FilePath);
        Assert.Contains(Shard1, ex.Message);
    }

    private string InFolder(string name) => Path.Combine(_folder, name);

    private void AssertIndexRejected(string tensorName, params string[] words)
    {
        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsCheckpoint.Open(_folder));

        Assert.Equal(InFolder(IndexName), ex.FilePath);
        Assert.Equal(tensorName, ex.TensorName);
        Assert.Contains(IndexName, ex.Message);
        Assert.Contains($"'{tensorName}'", ex.Message);
        foreach (var word in words)
        {
            Assert.Contains(word, ex.Message);
        }
    }

    private void WriteShards()
    {
        SafeTensorsWriter.Write(InFolder(Shard1), Named(("embed", _embed), ("norm", _norm)));
        SafeTensorsWriter.Write(InFolder(Shard2), Named(("head", _head), ("step", _step)));
    }

    private void WriteIndex(params (string Tensor, string Shard)[] weightMap)
    {
        var index = new Dictionary<string, object>
        {
            ["metadata"] = new Dictionary<string, long> { ["total_size"] = 0 },
            ["weight_map"] = weightMap.ToDictionary(p => p.Tensor, p => p.Shard),
        };
        File.WriteAllText(InFolder(IndexName), JsonSerializer.Serialize(index));
    }
}
