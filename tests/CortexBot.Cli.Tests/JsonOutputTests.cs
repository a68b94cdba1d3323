using System.Text.Json;
using Xunit.Abstractions;

namespace CortexBot.Cli.Tests;

/// <summary>`--json` stdout is one JSON document whatever is logged, and exit codes follow the run contract.</summary>
[Collection("cli-runs")]
public sealed class JsonOutputTests(ITestOutputHelper output)
{
    private const string Task = "put the red cube in the bin";

    private static JsonElement ParseWhole(string stdout)
    {
        using var doc = JsonDocument.Parse(stdout); // throws when stdout is anything but one JSON document
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Run_json_stdout_parses_with_verbose_and_trace_logging()
    {
        foreach (var logging in new[] { new[] { "-v" }, ["--log-level", "trace"] })
        {
            var r = CliProcess.Run(["run", "--task", Task, "--episodes", "1", "--seed", "1", "--fast", "--json", "--memory", CliProcess.TempDb(), .. logging]);
            output.WriteLine(r.Stderr);
            Assert.True(r.Code == 0, r.Stderr);
            var report = ParseWhole(r.Stdout);
            Assert.Equal(Task, report.GetProperty("task").GetString());
            // the run contract: each episode's goal and what of it did not hold at the end
            var episode = report.GetProperty("episodes")[0];
            Assert.Equal(["in(red_cube, bin)"], episode.GetProperty("goal").EnumerateArray().Select(g => g.GetString()));
            Assert.Equal(0, episode.GetProperty("unmet").GetArrayLength());
            // and its execution tree: the task, its subgoal checked from the scene, the subgoal's skills
            var tree = episode.GetProperty("tree");
            Assert.Equal("succeeded", tree.GetProperty("status").GetString());
            var subgoal = Assert.Single(tree.GetProperty("subgoals").EnumerateArray());
            Assert.Equal("in(red_cube, bin)", subgoal.GetProperty("relation").GetString());
            Assert.Equal("holds", subgoal.GetProperty("check").GetString());
            Assert.Equal(["pick(red_cube) succeeded", "place(red_cube, bin) succeeded"],
                subgoal.GetProperty("skills").EnumerateArray().Select(k => $"{k.GetProperty("skill").GetString()} {k.GetProperty("status").GetString()}"));
            // the logs went somewhere: stderr
            Assert.Contains("info", r.Stderr, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void Run_json_stdout_parses_when_the_grasp_fails_and_the_run_exits_1()
    {
        // a slippery cube the planner cannot see, no replans and no memory: the cerebellum's grasp fails, the anomaly is
        // logged (warnings, information and dead letters from Akka) while --json is on, and the episode fails
        var r = CliProcess.Run("run", "--task", Task, "--episodes", "1", "--seed", "1", "--fast", "--json", "-v",
            "--perturb", "red_cube:slippery", "--max-replans", "0", "--no-recall", "--memory", CliProcess.TempDb());
        output.WriteLine(r.Stderr);
        Assert.Equal(1, r.Code);
        var report = ParseWhole(r.Stdout);
        var episode = report.GetProperty("episodes")[0];
        Assert.False(episode.GetProperty("success").GetBoolean());
        Assert.True(episode.GetProperty("anomalies").GetInt32() > 0);
        Assert.Equal(["in(red_cube, bin)"], episode.GetProperty("unmet").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(0.0, report.GetProperty("success_rate").GetDouble());
        Assert.Contains("anomal", r.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Quiet_and_log_level_none_leave_stderr_empty_on_success()
    {
        foreach (var flag in new[] { new[] { "--quiet" }, ["--log-level", "none"] })
        {
            var r = CliProcess.Run(["run", "--task", Task, "--episodes", "1", "--seed", "2", "--fast", "--json", "--memory", CliProcess.TempDb(), .. flag]);
            Assert.True(r.Code == 0, r.Stderr);
            Assert.Equal("", r.Stderr);
            ParseWhole(r.Stdout);
        }
        var bad = CliProcess.Run("run", "--task", Task, "--log-level", "loud");
        Assert.Equal(2, bad.Code);
        Assert.Equal("error: --log-level must be one of trace, debug, information, warning, error, none, got 'loud'", bad.Stderr.Trim());
    }

    [Fact]
    public void Onnx_device_cuda_without_cuda_warns_once_falls_back_to_the_cpu_and_the_report_says_so()
    {
        var r = CliProcess.Run("run", "--task", Task, "--episodes", "1", "--seed", "1", "--fast", "--json", "--learned",
            "--onnx-device", "cuda", "--memory", CliProcess.TempDb());
        output.WriteLine(r.Stderr);
        Assert.True(r.Code == 0, r.Stderr);
        var policy = ParseWhole(r.Stdout).GetProperty("policy");
        Assert.Equal("cuda", policy.GetProperty("requested_device").GetString());
        Assert.Equal("cpu", policy.GetProperty("device").GetString());
        Assert.Contains("CUDA", policy.GetProperty("fallback").GetString());
        var warning = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--onnx-device cuda: not available", warning);
        Assert.Contains("runs on the CPU", warning);

        // the default is the CPU, with nothing to warn about
        var cpu = CliProcess.Run("run", "--task", Task, "--episodes", "1", "--seed", "1", "--fast", "--json", "--learned", "--memory", CliProcess.TempDb());
        Assert.True(cpu.Code == 0, cpu.Stderr);
        var p = ParseWhole(cpu.Stdout).GetProperty("policy");
        Assert.Equal("cpu", p.GetProperty("device").GetString());
        Assert.Equal(JsonValueKind.Null, p.GetProperty("fallback").ValueKind);
        Assert.Equal("", cpu.Stderr);
    }

    [Fact]
    public void Eval_exits_1_when_policy_episodes_fail()
    {
        // 0.2 s of robot time is too short for any pick and place: every policy episode fails
        var r = CliProcess.Run("eval", "--policy", Path.Combine(CortexBot.Core.RepoPaths.Policies, "pick_place.onnx"), "--episodes", "2",
            "--no-expert", "--max-seconds", "0.2", "--json");
        output.WriteLine(r.Stderr);
        Assert.Equal(1, r.Code);
        Assert.Equal(0.0, ParseWhole(r.Stdout).GetProperty("policy_success_rate").GetDouble());
    }

    [Fact]
    public void Scenario_memory_exits_1_when_episodes_fail()
    {
        // the default perturbation (a slippery cube) defeats the first attempt without memory, with no replans allowed
        var dir = Directory.CreateTempSubdirectory("cortexbot-cli-scenario-").FullName;
        try
        {
            var r = CliProcess.Run("scenario", "memory", "--episodes", "2", "--work-dir", dir, "--json");
            output.WriteLine(r.Stderr);
            var report = ParseWhole(r.Stdout);
            bool allSucceeded = report.GetProperty("without_memory").GetProperty("episodes").EnumerateArray()
                .Concat(report.GetProperty("with_memory").GetProperty("episodes").EnumerateArray()).All(e => e.GetProperty("success").GetBoolean());
            Assert.False(allSucceeded, "the perturbation should make an episode fail");
            Assert.Equal(1, r.Code);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Akkas_start_up_and_shutdown_logger_writes_to_stderr()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString(CortexBot.Host.CortexBotHosting.Hocon);
        using var system = Akka.Actor.ActorSystem.Create("stdout-check", config);
        Assert.IsType<CortexBot.Host.StandardErrorLogger>(system.Settings.StdoutLogger);
        system.Terminate().Wait(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(new bool[] { }, 0)]
    [InlineData(new[] { true, true }, 0)]
    [InlineData(new[] { true, false, true }, 1)]
    [InlineData(new[] { false }, 1)]
    public void Run_contract_exit_codes(bool[] successes, int expected) =>
        Assert.Equal(expected, Commands.RunContract.ExitCode(successes));
}
