using System.Diagnostics;
using System.Text.Json;
using CortexBot.Core;
using Xunit.Abstractions;

namespace CortexBot.Host.Tests;

/// <summary>Runs the real CLI as a child process, as users and scripts do.</summary>
[Collection("end-to-end")]
public class CliTests(ITestOutputHelper output)
{
    private static (int code, string stdout, string stderr) Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cortexbot.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CORTEXBOT_HOME"] = RepoPaths.Root;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(true); throw new TimeoutException("cortexbot did not exit"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Run_json_prints_exactly_the_run_contract()
    {
        var db = TestOptions.TempDb();
        var (code, stdout, stderr) = Cli("run", "--task", "put the red cube in the bin", "--episodes", "2", "--seed", "7", "--fast", "--json", "--memory", db);
        output.WriteLine(stderr);
        output.WriteLine(stdout);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout); // the whole of stdout is one JSON object
        var root = doc.RootElement;
        Assert.Equal("put the red cube in the bin", root.GetProperty("task").GetString());
        Assert.Equal(1.0, root.GetProperty("success_rate").GetDouble());
        var episodes = root.GetProperty("episodes");
        Assert.Equal(2, episodes.GetArrayLength());
        var first = episodes[0];
        Assert.Equal(7, first.GetProperty("seed").GetInt32());
        Assert.True(first.GetProperty("success").GetBoolean());
        Assert.True(first.GetProperty("duration_s").GetDouble() > 1);
        Assert.Equal("pick(red_cube)", first.GetProperty("plan")[0].GetString());
        Assert.Equal(0, first.GetProperty("anomalies").GetInt32());
        var control = root.GetProperty("control");
        foreach (var f in new[] { "target_hz", "achieved_hz", "tick_jitter_p50_us", "tick_jitter_p99_us", "tick_jitter_max_us", "late_ticks", "ticks" })
            Assert.True(control.TryGetProperty(f, out _), f);
        Assert.Equal(500, control.GetProperty("target_hz").GetDouble());
        Assert.Equal("rule", root.GetProperty("cortex").GetProperty("planner").GetString());
        Assert.Equal(2, root.GetProperty("cortex").GetProperty("plans").GetInt32());
        Assert.Equal(2, root.GetProperty("hippocampus").GetProperty("episodes_stored").GetInt32());
        Assert.Equal(Path.GetFullPath(db), root.GetProperty("hippocampus").GetProperty("path").GetString());
    }

    [Fact]
    public void Plan_puts_similar_remembered_episodes_into_the_planners_context()
    {
        var db = TestOptions.TempDb();
        Assert.Equal(0, Cli("run", "--task", "put the red cube in the bin", "--episodes", "2", "--seed", "7", "--fast", "--json", "--memory", db).code);
        var (code, stdout, stderr) = Cli("plan", "--task", "put the red cube into the bin", "--memory", db, "--json");
        output.WriteLine(stderr);
        output.WriteLine(stdout);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var memories = doc.RootElement.GetProperty("memories");
        Assert.Equal(2, memories.GetArrayLength());
        Assert.Contains("\"put the red cube in the bin\": succeeded with [pick(red_cube); place(red_cube, bin)]", memories[0].GetString());
        // --recall 0 recalls nothing; a memory that is not there is an input error.
        (code, stdout, _) = Cli("plan", "--task", "put the red cube in the bin", "--memory", db, "--recall", "0", "--json");
        Assert.Equal(0, code);
        using (var none = JsonDocument.Parse(stdout)) Assert.Equal(0, none.RootElement.GetProperty("memories").GetArrayLength());
        (code, _, stderr) = Cli("plan", "--task", "put the red cube in the bin", "--memory", "/nonexistent/memory.db");
        Assert.Equal(2, code);
        Assert.Contains("memory file not found", stderr);
    }

    [Fact]
    public void Bench_policy_json_reports_both_implementations_on_the_same_inputs()
    {
        var (code, stdout, stderr) = Cli("bench", "policy", "--chunks", "50", "--json");
        output.WriteLine(stderr);
        output.WriteLine(stdout);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout); // the whole of stdout is one JSON object
        var root = doc.RootElement;
        Assert.Equal(50, root.GetProperty("chunks").GetInt32());
        Assert.True(root.GetProperty("warmup_chunks").GetInt32() >= 200);
        Assert.Equal(16, root.GetProperty("horizon").GetInt32());
        Assert.Contains("back to back", root.GetProperty("scheduling").GetString());
        var rows = root.GetProperty("rows");
        Assert.Equal(2, rows.GetArrayLength());
        Assert.StartsWith("onnxruntime", rows[0].GetProperty("implementation").GetString());
        Assert.StartsWith("managed", rows[1].GetProperty("implementation").GetString());
        foreach (var r in rows.EnumerateArray())
        {
            double p50 = r.GetProperty("p50_us").GetDouble(), p99 = r.GetProperty("p99_us").GetDouble(), max = r.GetProperty("max_us").GetDouble();
            Assert.True(p50 > 0 && p50 <= p99 && p99 <= max, $"{r}");
            Assert.Equal(0, r.GetProperty("bytes_per_chunk").GetDouble()); // both are allocation-free after warm-up
        }
        Assert.Equal(Math.Round(rows[1].GetProperty("p50_us").GetDouble() / rows[0].GetProperty("p50_us").GetDouble(), 3),
            root.GetProperty("managed_over_onnx_p50").GetDouble(), 2);
        Assert.True(root.GetProperty("managed_over_onnx_p99").GetDouble() > 0);
        Assert.InRange(root.GetProperty("max_abs_diff").GetDouble(), 0, 1e-4);

        var (bad, badOut, badErr) = Cli("bench", "policy", "--policy", "/nope/policy.onnx");
        Assert.Equal(2, bad);
        Assert.Equal("", badOut.Trim());
        Assert.StartsWith("error: policy model not found", badErr.Trim());
    }

    [Theory]
    [InlineData("run --task \"put the yellow cube in the bin\" --fast", "yellow")]
    [InlineData("run --task \"juggle the red cube\" --fast", "juggle")]
    [InlineData("run --task \"put the red cube in the bin\" --rate abc", "abc")]
    [InlineData("run --task \"put the red cube in the bin\" --rate 0 --fast", "rate")]
    [InlineData("run --task \"put the red cube in the bin\" --scene /nope.xml", "scene file not found")]
    [InlineData("run --task \"put the red cube in the bin\" --fast --realtime", "exclude")]
    [InlineData("run", "--task")]
    [InlineData("run --task \"put the red cube in the bin next to the knife\" --fast", "safety: refuse: needs review: hazard_words.knife")]
    [InlineData("run --task \"put the red cube in the bin\" --fast --safety-policy /nope/safety.json", "safety policy not found: /nope/safety.json")]
    [InlineData("run --task \"put the red cube in the bin\" --fast --safety-model /nope/reviewer.gguf", "safety model file not found: /nope/reviewer.gguf")]
    [InlineData("plan --task \"put the red cube in the bin\" --safety-model /nope/reviewer.gguf", "safety model file not found: /nope/reviewer.gguf")]
    public void Input_errors_exit_2_with_one_clear_line(string commandLine, string expected)
    {
        var args = System.Text.RegularExpressions.Regex.Matches(commandLine, "\"([^\"]*)\"|(\\S+)")
            .Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();
        args.AddRange(["--memory", TestOptions.TempDb()]);
        var (code, stdout, stderr) = Cli([.. args]);
        output.WriteLine(stderr);
        Assert.Equal(2, code);
        Assert.Equal("", stdout.Trim());
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void A_plan_into_a_keep_out_zone_is_refused_naming_the_rule_and_a_malformed_policy_naming_the_key()
    {
        var dir = Directory.CreateTempSubdirectory("cortexbot-safety-").FullName;
        var hand = Path.Combine(dir, "hand_on_bin.json");
        // the shipped scene's bin is at (0.25, -0.40)
        File.WriteAllText(hand, """{ "keep_out_zones": [ { "name": "operator_hand", "min": [0.15, -0.5, 0.0], "max": [0.35, -0.3, 0.3] } ] }""");
        var (code, stdout, stderr) = Cli("plan", "--task", "put the red cube in the bin", "--safety-policy", hand, "--json", "--recall", "0");
        output.WriteLine(stderr);
        Assert.Equal(2, code);
        using (var doc = JsonDocument.Parse(stdout))
        {
            var safety = doc.RootElement.GetProperty("safety");
            Assert.Equal("refuse", safety.GetProperty("verdict").GetString());
            Assert.Equal("keep_out_zones.operator_hand: place target bin lies in the zone", safety.GetProperty("reasons")[0].GetString());
            Assert.False(safety.GetProperty("escalated").GetBoolean());
            Assert.Equal(0, safety.GetProperty("review_ms").GetDouble());
        }
        Assert.Equal("error: safety: refuse: keep_out_zones.operator_hand: place target bin lies in the zone", stderr.Trim());

        (code, stdout, stderr) = Cli("run", "--task", "put the red cube in the bin", "--fast", "--safety-policy", hand, "--memory", TestOptions.TempDb());
        Assert.Equal(2, code);
        Assert.Equal("", stdout.Trim());
        Assert.Equal("error: safety: refuse: keep_out_zones.operator_hand: place target bin lies in the zone", stderr.Trim());

        var bad = Path.Combine(dir, "bad.json");
        File.WriteAllText(bad, """{ "speed_zones": [ { "name": "slow", "min": [0, 0, 0], "max": [1, 1, 1], "max_tool_speed": -2 } ] }""");
        (code, stdout, stderr) = Cli("run", "--task", "put the red cube in the bin", "--fast", "--safety-policy", bad, "--memory", TestOptions.TempDb());
        Assert.Equal(2, code);
        Assert.Equal($"error: safety policy {bad}: speed_zones[0].max_tool_speed: must be above 0 and at most 10, got -2", stderr.Trim());
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void Run_json_carries_the_safety_verdict_and_a_fragile_object_is_carried_under_its_speed_cap()
    {
        var (code, stdout, stderr) = Cli("run", "--task", "put the blue cube in the bin", "--fast", "--json", "--safety-policy",
            Path.Combine(RepoPaths.Agents, "safety.sample.json"), "--memory", TestOptions.TempDb());
        output.WriteLine(stderr);
        output.WriteLine(stdout);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        var safety = root.GetProperty("safety");
        Assert.Equal("modify", safety.GetProperty("verdict").GetString());
        Assert.Equal(1, safety.GetProperty("screened_plans").GetInt32());
        Assert.Equal(0, safety.GetProperty("escalated_plans").GetInt32());
        Assert.Equal("objects.fragile: blue_cube is fragile: tool speed <= 0.1 m/s while handling it", safety.GetProperty("reasons")[0].GetString());
        var episode = root.GetProperty("episodes")[0];
        Assert.True(episode.GetProperty("success").GetBoolean());
        Assert.Equal("modify", episode.GetProperty("safety").GetProperty("verdict").GetString());
        // every step handles the fragile cube: the skills were timed for the cap and the gate never needed to slow them
        var control = root.GetProperty("control");
        Assert.InRange(control.GetProperty("peak_tool_speed_m_s").GetDouble(), 0.01, 0.1);
        Assert.Equal(0, control.GetProperty("zone_holds").GetInt64());
    }

    [Fact]
    public void Safety_model_a_flagged_plan_is_escalated_to_a_tiny_model_remembered_listed_by_memory_show_and_not_escalated_again()
    {
        var dir = Directory.CreateTempSubdirectory("cortexbot-review-").FullName;
        var model = Path.Combine(dir, "reviewer.gguf");
        Assert.Equal(0, Cli("model", "tiny", "--out", model, "-q").code);
        var db = Path.Combine(dir, "memory.db");
        const string knife = "put the red cube in the bin next to the knife";   // 'knife': a hazard word the default policy has no rule for

        // without a model: the conservative default
        var (code, stdout, stderr) = Cli("plan", "--task", knife, "--recall", "0", "--json");
        Assert.Equal(2, code);
        Assert.StartsWith("error: safety: refuse: needs review: hazard_words.knife", stderr.Trim());
        using (var doc = JsonDocument.Parse(stdout))
            Assert.False(doc.RootElement.GetProperty("safety").GetProperty("escalated").GetBoolean());

        (code, stdout, stderr) = Cli("run", "--task", knife, "--episodes", "2", "--fast", "--json", "--safety-model", model, "--memory", db);
        output.WriteLine(stderr);
        output.WriteLine(stdout);
        string verdict;
        if (code == 0)
        {
            using var doc = JsonDocument.Parse(stdout);
            var safety = doc.RootElement.GetProperty("safety");
            Assert.Equal(2, safety.GetProperty("screened_plans").GetInt32());
            Assert.Equal(1, safety.GetProperty("escalated_plans").GetInt32());
            Assert.Equal(1, safety.GetProperty("recalled_plans").GetInt32());
            Assert.True(safety.GetProperty("review_ms").GetDouble() > 0);
            var episodes = doc.RootElement.GetProperty("episodes");
            Assert.True(episodes[0].GetProperty("safety").GetProperty("escalated").GetBoolean());
            Assert.False(episodes[1].GetProperty("safety").GetProperty("escalated").GetBoolean());
            Assert.True(episodes[1].GetProperty("safety").GetProperty("recalled").GetBoolean());
            verdict = episodes[0].GetProperty("safety").GetProperty("verdict").GetString()!;

            // memory show lists the review the first episode's plan was escalated to
            var (showCode, show, showErr) = Cli("memory", "show", "1", "--memory", db, "--json");
            Assert.Equal(0, showCode);
            using var shown = JsonDocument.Parse(show);
            var review = Assert.Single(shown.RootElement.GetProperty("safety_reviews").EnumerateArray());
            Assert.Equal("llama:reviewer.gguf", review.GetProperty("reviewer").GetString());
            Assert.Contains(review.GetProperty("verdict").GetString(), new[] { "allow", "modify" });
            Assert.Contains("hazard_words.knife", review.GetProperty("flags")[0].GetString());
            Assert.Empty(JsonDocument.Parse(Cli("memory", "show", "2", "--memory", db, "--json").stdout).RootElement.GetProperty("safety_reviews").EnumerateArray());
        }
        else
        {
            // the tiny model refused: one line naming the review, exit 2 (a refused episode is not stored; its review is)
            Assert.Equal(2, code);
            Assert.StartsWith("error: safety: refuse: review: ", stderr.Trim());
            verdict = "refuse";
        }

        // the same case in a new process: answered from the remembered review, not escalated
        (code, stdout, stderr) = Cli("plan", "--task", knife, "--recall", "0", "--safety-model", model, "--memory", db, "--json");
        output.WriteLine(stderr);
        Assert.Equal(verdict == "refuse" ? 2 : 0, code);
        using (var doc = JsonDocument.Parse(stdout))
        {
            var safety = doc.RootElement.GetProperty("safety");
            Assert.False(safety.GetProperty("escalated").GetBoolean());
            Assert.True(safety.GetProperty("recalled").GetBoolean());
            Assert.Equal(verdict, safety.GetProperty("verdict").GetString());
        }
    }

    [Fact]
    public void Bench_safety_with_a_safety_model_escalates_each_flagged_case_once_and_lets_no_unsafe_plan_through()
    {
        var dir = Directory.CreateTempSubdirectory("cortexbot-review-bench-").FullName;
        var model = Path.Combine(dir, "reviewer.gguf");
        Assert.Equal(0, Cli("model", "tiny", "--out", model, "-q").code);
        var (code, stdout, stderr) = Cli("bench", "safety", "--seeds", "3", "--repeats", "2", "--seconds", "0", "--json", "--safety-model", model);
        output.WriteLine(stderr);
        output.WriteLine(stdout);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        var review = root.GetProperty("review");
        int escalated = root.GetProperty("escalated").GetInt32();
        Assert.True(escalated > 0);
        Assert.Equal(escalated, review.GetProperty("escalated").GetInt32());
        Assert.Equal(0, review.GetProperty("unsafe_allowed").GetInt32());
        Assert.True(review.GetProperty("review_ms_p50").GetDouble() > 0);
        Assert.Equal(root.GetProperty("cases").GetInt32(), review.GetProperty("allowed").GetInt32() + review.GetProperty("modified").GetInt32() + review.GetProperty("refused").GetInt32());
    }

    [Fact]
    public void Bench_safety_json_lets_no_unsafe_plan_through_and_refuses_no_benign_one()
    {
        var (code, stdout, stderr) = Cli("bench", "safety", "--seeds", "3", "--repeats", "5", "--seconds", "0.5", "--json");
        output.WriteLine(stderr);
        output.WriteLine(stdout);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(0, root.GetProperty("unsafe_allowed").GetInt32());
        Assert.Equal(0, root.GetProperty("false_refusals").GetInt32());
        Assert.True(root.GetProperty("benign").GetInt32() > 0);
        Assert.True(root.GetProperty("hazardous").GetInt32() > 0);
        Assert.InRange(root.GetProperty("escalation_rate").GetDouble(), 0.01, 0.99);
        Assert.True(root.GetProperty("screen_us_p50").GetDouble() > 0);
        var kinds = root.GetProperty("kinds").EnumerateArray().Select(k => k.GetProperty("kind").GetString()).ToList();
        foreach (var k in new[] { "object in a keep-out zone", "container in a keep-out zone", "stack on a fragile object", "object above the payload", "object without properties", "hazard word without a rule" })
            Assert.Contains(k, kinds);
        Assert.Equal(4, root.GetProperty("tick_jitter_rows").GetArrayLength());
    }

    [Fact]
    public void Scene_image_writes_a_png_of_the_camera()
    {
        var png = Path.Combine(Path.GetTempPath(), $"cortexbot-scene-{Guid.NewGuid():N}.png");
        var (code, stdout, stderr) = Cli("scene", "--seed", "3", "--image", png, "--image-size", "96x72");
        output.WriteLine(stderr);
        Assert.Equal(0, code);
        Assert.Contains($"camera image 96x72 written to {png}", stdout);
        var bytes = File.ReadAllBytes(png);
        Assert.Equal("PNG"u8.ToArray(), bytes[1..4]);
        Assert.Equal(96, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        File.Delete(png);
    }

    [Fact]
    public void Plan_with_a_generated_model_and_mmproj_passes_the_camera_image_and_bad_mmproj_files_exit_2()
    {
        var dir = Directory.CreateTempSubdirectory("cortexbot-vision-cli").FullName;
        string model = Path.Combine(dir, "m.gguf"), mmproj = Path.Combine(dir, "p.gguf");
        var (code, stdout, stderr) = Cli("model", "tiny", "--out", model, "--mmproj", mmproj);
        Assert.Equal(0, code);
        Assert.Contains("tokens per image", stdout);

        (code, stdout, stderr) = Cli("plan", "--task", "put the red cube in the bin", "--seed", "3", "--planner", "llama",
            "--model", model, "--mmproj", mmproj, "--json");
        output.WriteLine(stderr);
        Assert.Equal(0, code);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.Equal("320x240", doc.RootElement.GetProperty("image").GetString());
            Assert.True(doc.RootElement.GetProperty("plan").GetArrayLength() > 0);
        }

        (code, stdout, _) = Cli("plan", "--task", "put the red cube in the bin", "--planner", "llama", "--model", model, "--json");
        Assert.Equal(0, code);
        using (var doc = JsonDocument.Parse(stdout))
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("image").ValueKind);

        var corrupt = Path.Combine(dir, "corrupt.gguf");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(mmproj)[..4000]);
        foreach (var (bad, expected) in new[] { (Path.Combine(dir, "missing.gguf"), "mmproj file not found"), (model, "is not a multimodal projector"), (corrupt, "is truncated") })
        {
            (code, stdout, stderr) = Cli("plan", "--task", "put the red cube in the bin", "--planner", "llama", "--model", model, "--mmproj", bad);
            output.WriteLine(stderr);
            Assert.Equal(2, code);
            Assert.Equal("", stdout.Trim());
            var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: ", line);
            Assert.Contains(expected, line);
        }
        Directory.Delete(dir, recursive: true);
    }
}
