using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using CortexBot.Core;
using CortexBot.Hippocampus;
using Xunit.Abstractions;

namespace CortexBot.Cli.Tests;

/// <summary>
/// The split controller as users run it: `cortexbot robot serve` and brains (`cortexbot run --robot-node`), real processes
/// over loopback, each fault of issue 12 caused for real (kill -9, SIGSTOP). No timing is asserted; waits are bounds on
/// seeing a line. Every process is killed at the end, whatever happened.
/// </summary>
public sealed partial class RobotNodeProcessTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private const string Task = "put the red cube in the bin";
    private readonly List<CliNode> _nodes = [];
    private readonly string _db = CliProcess.TempDb();

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        foreach (var n in _nodes) output.WriteLine($"--- {n.Name} (exit {(n.Process.HasExited ? n.Process.ExitCode : -1)})\n{n.Log}");
    }

    private CliNode Start(string name, params string[] args) => Start(name, null, args);

    private CliNode Start(string name, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var node = CliNode.Start(name, args, environment);
        _nodes.Add(node);
        return node;
    }

    /// <summary>A robot node on a port it picks, ready for brains; its address's HOST:PORT.</summary>
    private (CliNode Node, string At) Robot(params string[] extra) => Robot(null, extra);

    private (CliNode Node, string At) Robot(IReadOnlyDictionary<string, string>? environment, params string[] extra)
    {
        var robot = Start("robot", environment, ["robot", "serve", "--listen", "127.0.0.1:0", "-v", .. extra]);
        var ready = robot.WaitForStdout(l => l.StartsWith("robot node listening on ", StringComparison.Ordinal), Wait);
        return (robot, ready["robot node listening on ".Length..].Split(' ')[0]);
    }

    private static JsonElement Json(CliNode brain) => JsonDocument.Parse(brain.Stdout.Trim()).RootElement;

    [Fact]
    public void A_task_completes_on_a_robot_node_a_second_brain_is_refused_and_the_robot_nodes_gc_counts_stay_flat_after_warm_up()
    {
        var (robot, at) = Robot("--realtime");
        // warm-up brain: two real-time episodes; while it is attached a second brain is refused
        var first = Start("brain 1", "run", "--task", Task, "--episodes", "2", "--robot-node", at, "--memory", _db, "--json", "-v");
        first.WaitForStderr(l => l.Contains("attached to the robot node", StringComparison.Ordinal), Wait);
        var second = Start("brain 2", "run", "--task", Task, "--fast", "--robot-node", at, "--memory", _db);
        Assert.Equal(2, second.WaitForExit(Wait));
        var refusal = second.StderrLines.Last();
        Assert.StartsWith("error: the robot node at akka.tcp://cortexbot@" + at, refusal);
        Assert.Contains("already drives the brain at", refusal);

        Assert.Equal(0, first.WaitForExit(Wait));
        var report = Json(first);
        Assert.Equal(1.0, report.GetProperty("success_rate").GetDouble());
        var node = report.GetProperty("robot_node");
        Assert.Equal("akka.tcp://cortexbot@" + at, node.GetProperty("address").GetString());
        Assert.Equal(robot.Process.Id, node.GetProperty("pid").GetInt32());
        Assert.False(node.GetProperty("child").GetBoolean());
        Assert.True(node.GetProperty("separate").GetBoolean());

        // after warm-up: one real-time episode, and no collection on the robot node meanwhile
        var measured = Start("brain 3", "run", "--task", Task, "--seed", "2", "--robot-node", at, "--memory", _db, "--json");
        Assert.Equal(0, measured.WaitForExit(Wait));
        var gc = Json(measured).GetProperty("robot_node");
        output.WriteLine($"robot node GC: {gc.GetProperty("gc_before")} -> {gc.GetProperty("gc_after")}");
        Assert.Equal(gc.GetProperty("gc_before").ToString(), gc.GetProperty("gc_after").ToString());

        // the robot node stayed up across the brains, and stops cleanly on Ctrl-C
        Assert.False(robot.Process.HasExited);
        robot.Signal(Sig.Int);
        Assert.Equal(0, robot.WaitForExit(Wait));
    }

    [Fact]
    public void A_robot_node_killed_mid_episode_ends_the_run_with_one_line_and_the_episode_stored_as_failed()
    {
        var (robot, at) = Robot("--realtime");
        var brain = Start("brain", "run", "--task", Task, "--robot-node", at, "--memory", _db, "-v");
        brain.WaitForStderr(l => l.Contains("plan for", StringComparison.Ordinal), Wait);
        var killed = Stopwatch.StartNew();
        robot.Kill();
        Assert.Equal(1, brain.WaitForExit(Wait));
        output.WriteLine($"the brain ended {killed.Elapsed.TotalSeconds:0.00} s after the kill");
        var last = brain.StderrLines.Last();
        Assert.Matches("^error: the robot node at akka.tcp://cortexbot@[0-9.:]+ (closed its connection|became unreachable|left the cluster).*stored as failed$", last);

        using var store = new SqliteEpisodeStore(_db, readOnly: true);
        var episode = Assert.Single(store.Recent(5));
        Assert.False(episode.Success);
        Assert.False(episode.Interrupted);
        Assert.Contains("the robot node at akka.tcp://cortexbot@" + at, episode.FailureReason);
    }

    [Fact]
    public void A_brain_killed_mid_motion_leaves_the_arm_held_and_the_next_brain_stores_its_episode_as_interrupted()
    {
        var (robot, at) = Robot("--realtime");
        var brain = Start("brain 1", "run", "--task", Task, "--robot-node", at, "--memory", _db, "-v");
        brain.WaitForStderr(l => l.Contains("plan for", StringComparison.Ordinal), Wait);
        brain.Kill();
        robot.WaitForStderr(l => l.Contains("the segment in force is stopped and the arm held", StringComparison.Ordinal), Wait);

        var next = Start("brain 2", "run", "--task", Task, "--fast", "--robot-node", at, "--memory", _db, "--json");
        Assert.Equal(0, next.WaitForExit(Wait));
        var interruptedId = Json(next).GetProperty("robot_node").GetProperty("interrupted_episode_stored").GetString();
        Assert.NotNull(interruptedId);

        using var store = new SqliteEpisodeStore(_db, readOnly: true);
        var episodes = store.Recent(5);
        Assert.Equal(2, episodes.Count);
        var interrupted = Assert.Single(episodes, e => e.Interrupted);
        Assert.Equal(Guid.Parse(interruptedId), interrupted.TaskId);
        Assert.Equal(Task, interrupted.Instruction);
        Assert.False(interrupted.Success);
        Assert.StartsWith("interrupted at step ", interrupted.FailureReason);
        Assert.Single(episodes, e => e.Success && !e.Interrupted);
        Assert.False(robot.Process.HasExited);
    }

    [Fact]
    public void A_stopped_brain_gets_the_arm_held_and_goes_on_after_it_resumes()
    {
        var (robot, at) = Robot("--realtime");
        var brain = Start("brain", "run", "--task", Task, "--robot-node", at, "--memory", _db, "--json", "-v");
        brain.WaitForStderr(l => l.Contains("plan for", StringComparison.Ordinal), Wait);
        brain.Signal(Sig.Stop);
        try
        {
            robot.WaitForStderr(l => l.Contains("became unreachable: the segment in force is stopped and the arm held", StringComparison.Ordinal), Wait);
        }
        finally
        {
            brain.Signal(Sig.Cont);
        }
        robot.WaitForStderr(l => l.Contains("is reachable again", StringComparison.Ordinal), Wait);
        // the brain goes on: its step was aborted (it replans or fails the episode), the run reports as usual
        int code = brain.WaitForExit(Wait);
        Assert.True(code is 0 or 1, $"exit {code}");
        Assert.True(Json(brain).TryGetProperty("robot_node", out _));
        Assert.False(robot.Process.HasExited);
    }

    [Fact]
    public void The_default_run_drives_its_own_robot_node_child_and_leaves_no_process_behind()
    {
        var brain = Start("run", "run", "--task", Task, "--fast", "--memory", _db, "--json");
        Assert.Equal(0, brain.WaitForExit(Wait));
        var node = Json(brain).GetProperty("robot_node");
        Assert.True(node.GetProperty("child").GetBoolean());
        Assert.True(node.GetProperty("separate").GetBoolean());
        int child = node.GetProperty("pid").GetInt32();
        Assert.NotEqual(brain.Process.Id, child);
        Assert.False(Alive(child), $"robot node child {child} still runs");
    }

    [Fact]
    public void Ctrl_c_on_the_default_run_ends_its_robot_node_child_too()
    {
        var brain = Start("run", "run", "--task", Task, "--realtime", "--episodes", "3", "--memory", _db, "-v");
        brain.WaitForStderr(l => l.Contains("plan for", StringComparison.Ordinal), Wait);
        int child = ChildPids(brain.Process.Id).Single();
        brain.Signal(Sig.Int);
        brain.WaitForExit(Wait);
        for (var until = DateTime.UtcNow + TimeSpan.FromSeconds(20); Alive(child) && DateTime.UtcNow < until;) Thread.Sleep(100);
        Assert.False(Alive(child), $"robot node child {child} still runs");
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The processes whose parent is <paramref name="pid"/> (from /proc).</summary>
    private static IEnumerable<int> ChildPids(int pid) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => int.TryParse(d, out _)).Select(int.Parse!)
            .Where(p =>
            {
                try { return File.ReadAllText($"/proc/{p}/stat").Split(") ")[1].Split(' ')[1] == pid.ToString(System.Globalization.CultureInfo.InvariantCulture); }
                catch (IOException) { return false; }
            }).ToList();

    internal enum Sig { Int = 2, Kill = 9, Term = 15, Cont = 18, Stop = 19 }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static partial int SendSignal(int pid, int signal);

    /// <summary>The CLI as a child process whose output lines are kept and can be waited for.</summary>
    internal sealed class CliNode : IDisposable
    {
        private readonly List<string> _stdout = [];
        private readonly List<string> _stderr = [];
        private readonly System.Text.StringBuilder _log = new();

        private CliNode(string name, Process process)
        {
            Name = name;
            Process = process;
        }

        public string Name { get; }
        public Process Process { get; }
        public string Log { get { lock (_log) return _log.ToString(); } }
        public string Stdout { get { lock (_log) return string.Join("\n", _stdout); } }
        public IReadOnlyList<string> StderrLines { get { lock (_log) return [.. _stderr]; } }

        public static CliNode Start(string name, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
        {
            // as from a terminal: SIGINT at its default even where the tests run with it ignored (a CI runner's background
            // job), which processes inherit and .NET keeps; env execs dotnet, so the pid is the node's
            var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("--default-signal=INT");
            psi.ArgumentList.Add("dotnet");
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cortexbot.dll"));
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment["CORTEXBOT_HOME"] = RepoPaths.Root;
            foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("CORTEXBOT_", StringComparison.Ordinal) && k != "CORTEXBOT_HOME").ToList())
                psi.Environment.Remove(key);
            foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
            var node = new CliNode(name, Process.Start(psi)!);
            node.Process.OutputDataReceived += (_, e) => node.Add(node._stdout, "out", e.Data);
            node.Process.ErrorDataReceived += (_, e) => node.Add(node._stderr, "err", e.Data);
            node.Process.BeginOutputReadLine();
            node.Process.BeginErrorReadLine();
            return node;
        }

        private void Add(List<string> lines, string stream, string? line)
        {
            if (line is null) return;
            lock (_log)
            {
                lines.Add(line);
                _log.Append(stream).Append(": ").AppendLine(line);
                Monitor.PulseAll(_log);
            }
        }

        private string WaitFor(List<string> lines, Func<string, bool> match, TimeSpan within, string what)
        {
            var until = DateTime.UtcNow + within;
            lock (_log)
            {
                while (true)
                {
                    if (lines.FirstOrDefault(match) is { } hit) return hit;
                    if (Process.HasExited) throw new Xunit.Sdk.XunitException($"{Name} exited ({Process.ExitCode}) before the {what} line came");
                    var left = until - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero) throw new TimeoutException($"{Name}: no such {what} line within {within.TotalSeconds:0} s");
                    Monitor.Wait(_log, TimeSpan.FromMilliseconds(Math.Min(200, left.TotalMilliseconds)));
                }
            }
        }

        public string WaitForStdout(Func<string, bool> match, TimeSpan within) => WaitFor(_stdout, match, within, "stdout");

        public string WaitForStderr(Func<string, bool> match, TimeSpan within) => WaitFor(_stderr, match, within, "stderr");

        public int WaitForExit(TimeSpan within)
        {
            if (!Process.WaitForExit(within)) throw new TimeoutException($"{Name} did not exit within {within.TotalSeconds:0} s");
            Process.WaitForExit(); // its output read to the end
            return Process.ExitCode;
        }

        public void Signal(Sig signal) => _ = SendSignal(Process.Id, (int)signal);

        public void Kill() => Signal(Sig.Kill);

        public void Dispose()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Signal(Sig.Cont);
                    Process.Kill(entireProcessTree: true);
                }
                Process.WaitForExit(10_000);
            }
            catch (InvalidOperationException) { }
        }
    }
}
