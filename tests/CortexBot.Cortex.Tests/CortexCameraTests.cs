using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using Xunit.Abstractions;

namespace CortexBot.Cortex.Tests;

/// <summary>The cortex hands its planner a camera frame taken for each plan request.</summary>
public class CortexCameraTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    /// <summary>A camera double: numbered frames, or a failure, recording the thread of each capture.</summary>
    private sealed class FakeCamera(bool fail = false) : ISceneCamera
    {
        private int _count;
        public int Width => 4;
        public int Height => 2;
        public int Captures => Volatile.Read(ref _count);

        public Task<CameraFrame> CaptureAsync(CancellationToken cancellationToken = default)
        {
            int n = Interlocked.Increment(ref _count);
            if (fail) return Task.FromException<CameraFrame>(new ConfigurationException("no GL available: test camera"));
            return Task.FromResult(new CameraFrame(Width, Height, Enumerable.Repeat((byte)n, Width * Height * 3).ToArray(), MonotonicClock.NowNs));
        }

        public void Dispose() { }
    }

    private sealed class RecordingPlanner : IPlanner
    {
        private readonly RulePlanner _inner = new();
        public List<CameraFrame?> Images { get; } = [];
        public string Name => "recording";
        public Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken)
        {
            lock (Images) Images.Add(context.Image);
            return _inner.PlanAsync(context, cancellationToken);
        }
    }

    [Fact]
    public void Each_plan_request_gets_a_fresh_frame()
    {
        var camera = new FakeCamera();
        var planner = new RecordingPlanner();
        var cortex = Sys.ActorOf(CortexActor.Props(planner, TestScenes.Catalogue, TimeSpan.FromSeconds(5), camera));
        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);
        ExpectMsg<PlanReady>(Patience);
        cortex.Tell(TestScenes.Request("put the blue cube in the bin"), TestActor);
        ExpectMsg<PlanReady>(Patience);

        Assert.Equal(2, camera.Captures);
        lock (planner.Images)
        {
            Assert.Equal(2, planner.Images.Count);
            Assert.Equal(1, planner.Images[0]!.Rgb[0]);
            Assert.Equal(2, planner.Images[1]!.Rgb[0]);
        }
    }

    [Fact]
    public void Without_a_camera_the_planner_gets_no_image()
    {
        var planner = new RecordingPlanner();
        var cortex = Sys.ActorOf(CortexActor.Props(planner, TestScenes.Catalogue, TimeSpan.FromSeconds(5)));
        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);
        ExpectMsg<PlanReady>(Patience);
        lock (planner.Images) Assert.Null(Assert.Single(planner.Images));
    }

    [Fact]
    public void A_failing_camera_does_not_stop_planning_from_the_description()
    {
        var camera = new FakeCamera(fail: true);
        var planner = new RecordingPlanner();
        var cortex = Sys.ActorOf(CortexActor.Props(planner, TestScenes.Catalogue, TimeSpan.FromSeconds(5), camera));
        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);
        var ready = ExpectMsg<PlanReady>(Patience);
        Assert.Equal(new[] { "pick(red_cube)", "place(red_cube, bin)" }, ready.Plan.Describe().ToArray());
        Assert.Equal(1, camera.Captures);
        lock (planner.Images) Assert.Null(Assert.Single(planner.Images));
    }
}
