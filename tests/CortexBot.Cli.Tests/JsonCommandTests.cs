using System.Text.Json;
using Xunit.Abstractions;

namespace CortexBot.Cli.Tests;

/// <summary>`--json` on scene, model tiny, demos record and train: stdout is one JSON document, the rest goes to stderr.</summary>
public sealed class JsonCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-cli-json-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement ParseWhole(string stdout)
    {
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Scene_json_lists_the_objects_and_the_image()
    {
        var png = Path.Combine(_dir, "scene.png");
        var r = CliProcess.Run("scene", "--seed", "3", "--json", "--image", png, "--image-size", "64x48");
        output.WriteLine(r.Stderr);
        Assert.True(r.Code == 0, r.Stderr);
        var scene = ParseWhole(r.Stdout);
        Assert.Equal(3, scene.GetProperty("seed").GetInt32());
        var objects = scene.GetProperty("objects").EnumerateArray().ToList();
        Assert.Contains(objects, o => o.GetProperty("name").GetString() == "red_cube");
        Assert.All(objects, o => Assert.Equal(3, o.GetProperty("position").GetArrayLength()));
        Assert.Equal(png, scene.GetProperty("image").GetProperty("path").GetString());
        Assert.Equal(64, scene.GetProperty("image").GetProperty("width").GetInt32());
        Assert.True(File.Exists(png));
    }

    [Fact]
    public void Model_tiny_json_describes_both_files()
    {
        var model = Path.Combine(_dir, "m.gguf");
        var r = CliProcess.Run("model", "tiny", "--out", model, "--mmproj", Path.Combine(_dir, "p.gguf"), "--embedding", "32", "--layers", "1", "--json");
        Assert.True(r.Code == 0, r.Stderr);
        var j = ParseWhole(r.Stdout);
        Assert.Equal(model, j.GetProperty("model").GetProperty("path").GetString());
        Assert.Equal(new FileInfo(model).Length, j.GetProperty("model").GetProperty("bytes").GetInt64());
        Assert.True(j.GetProperty("model").GetProperty("tokens").GetInt32() > 256);
        Assert.True(j.GetProperty("mmproj").GetProperty("image_tokens").GetInt32() > 0);
    }

    [Fact]
    public void Demos_record_and_train_json_print_one_document_each()
    {
        var demos = Path.Combine(_dir, "demos");
        var rec = CliProcess.Run("demos", "record", "--episodes", "2", "--seed", "1", "--out", demos, "--json");
        output.WriteLine(rec.Stderr);
        var d = ParseWhole(rec.Stdout);
        Assert.Equal(2, d.GetProperty("episodes").GetInt32());
        Assert.True(d.GetProperty("frames").GetInt32() > 0);
        Assert.Equal(demos, d.GetProperty("path").GetString());
        Assert.Equal(d.GetProperty("successful").GetInt32() == 2 ? 0 : 1, rec.Code);
        Assert.Contains("episode 1/2", rec.Stderr); // progress went to stderr

        var policy = Path.Combine(_dir, "p.onnx");
        var train = CliProcess.Run("train", "--demos", demos, "--out", policy, "--steps", "20", "--batch", "32", "--json");
        output.WriteLine(train.Stderr);
        Assert.True(train.Code == 0, train.Stderr);
        var t = ParseWhole(train.Stdout);
        Assert.Equal(policy, t.GetProperty("policy").GetString());
        Assert.True(t.GetProperty("parity_max_abs_diff").GetDouble() <= 1e-4);
        Assert.Equal(20, t.GetProperty("training").GetProperty("steps").GetInt32());
        Assert.True(File.Exists(policy));
    }
}

/// <summary>Live progress bars draw only on a terminal: run under `script`, which gives the CLI a pseudo-terminal.</summary>
public sealed class ProgressBarTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-cli-bar-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private CliProcess.Result OnTerminal(string commandLine) =>
        CliProcess.Start("script", ["-qec", $"dotnet {Path.Combine(AppContext.BaseDirectory, "cortexbot.dll")} {commandLine}", "/dev/null"]);

    [Fact]
    public void Demos_record_and_bench_memory_draw_a_bar_on_a_terminal_and_not_when_redirected()
    {
        var tty = OnTerminal($"demos record --episodes 2 --out {Path.Combine(_dir, "a")}");
        output.WriteLine(tty.Stdout);
        Assert.Equal(0, tty.Code);
        Assert.Contains("recording", tty.Stdout);
        Assert.Contains("100%", tty.Stdout);
        Assert.Contains("recorded 2 episodes", tty.Stdout);

        var quiet = OnTerminal($"demos record --episodes 1 --out {Path.Combine(_dir, "b")} --quiet");
        Assert.Equal(0, quiet.Code);
        Assert.DoesNotContain("%", quiet.Stdout);

        var piped = CliProcess.Run("demos", "record", "--episodes", "1", "--out", Path.Combine(_dir, "c"));
        Assert.Equal(0, piped.Code);
        Assert.DoesNotContain("%", piped.Stdout);
        Assert.Contains("episode 1/1", piped.Stderr); // the per-episode lines instead

        var bench = OnTerminal($"bench memory --sizes 3000 --dim 32 --queries 5 --threads 1 --expansion-search 32 --dir {_dir}");
        output.WriteLine(bench.Stdout);
        Assert.Equal(0, bench.Code);
        Assert.Contains("HNSW graph build", bench.Stdout);
        Assert.Contains("100%", bench.Stdout);
    }
}
