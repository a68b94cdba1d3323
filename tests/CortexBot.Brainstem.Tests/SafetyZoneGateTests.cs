using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Core.Safety;
using CortexBot.Testing;

namespace CortexBot.Brainstem.Tests;

/// <summary>The policy's zones enforced per command: keep-out zones hold the hand at their edge, speed zones and a skill's cap lower the tool speed.</summary>
public class SafetyZoneGateTests
{
    private const double Period = 0.002;
    private static readonly ArmModel Arm = TestArm.Model;
    private static readonly SafetyEnvelope Envelope = SafetyEnvelope.ForScene(RepoPaths.DefaultScene, 1.0);

    /// <summary>Where the tool is with the shoulder panned by <paramref name="pan"/> from home.</summary>
    private static Vec3 ToolAtPan(double pan)
    {
        var q = Arm.Home.ToArray();
        q[0] += pan;
        return Arm.ToolPose(q).Position;
    }

    private sealed class Rig
    {
        public readonly FakeArmLink Link = new(Arm);
        public readonly SafetyGate Gate;
        public readonly JointCommandBuffer Cmd = new(Arm.Dof);
        public double WorstDepth, WorstStepInSpeedZone, WorstStep;
        /// <summary>The largest step towards a keep-out zone over the step braking allowed from where the hand was (1: at the limit).</summary>
        public double WorstApproachRatio;
        private Vec3? _prev;
        private double _prevGap = double.PositiveInfinity;

        public Rig(SafetyZones zones, SafetyZone? speedBox = null)
        {
            Gate = new SafetyGate(Link, Arm, Envelope, zones);
            Link.OnWrite = c =>
            {
                Arm.HandPoints(c.Position, c.GripperOpening, out var tool, out var left, out var right);
                WorstDepth = Math.Max(WorstDepth, Math.Max(zones.KeepOutDepth(tool), Math.Max(zones.KeepOutDepth(left), zones.KeepOutDepth(right))));
                double gap = Math.Min(zones.KeepOutGap(tool), Math.Min(zones.KeepOutGap(left), zones.KeepOutGap(right)));
                if (_prev is { } p)
                {
                    double step = (tool - p).Norm;
                    if (gap < _prevGap && double.IsFinite(_prevGap))
                        WorstApproachRatio = Math.Max(WorstApproachRatio, step / (zones.ApproachLimit(_prevGap) * Period));
                    WorstStep = Math.Max(WorstStep, step);
                    if (speedBox is not null && (speedBox.Contains(tool) || speedBox.Contains(p))) WorstStepInSpeedZone = Math.Max(WorstStepInSpeedZone, step);
                }
                _prev = tool;
                _prevGap = gap;
            };
            Gate.Start(Period);
            for (int i = 0; i < Arm.Dof; i++) Cmd.Position[i] = Arm.Home[i];
            Cmd.GripperOpening = Arm.GripperMaxOpening;
        }

        /// <summary>Pans the shoulder from home towards <paramref name="pan"/> at the joint's full speed, command by command.</summary>
        public void PanTo(double pan, int ticks)
        {
            for (int t = 1; t <= ticks; t++)
            {
                Cmd.Position[0] = Arm.Home[0] + pan * t / ticks;
                Gate.Write(Cmd);
            }
        }
    }

    /// <summary>A box around where the tool is at a pan of 0.6 rad, 10 cm a side.</summary>
    private static SafetyZone ZoneAtPan(double pan, double half = 0.05) =>
        new("operator_hand", ToolAtPan(pan) - new Vec3(half, half, half), ToolAtPan(pan) + new Vec3(half, half, half));

    [Fact]
    public void A_hand_driven_towards_a_keep_out_zone_is_held_at_its_edge()
    {
        var zone = ZoneAtPan(0.6);
        var rig = new Rig(new SafetyZones([zone], []));
        rig.PanTo(1.2, 3000);
        Assert.Equal(0, rig.WorstDepth);
        Assert.True(rig.Gate.ZoneHolds > 100, $"{rig.Gate.ZoneHolds} holds");
        Assert.Equal(0, rig.Gate.EnvelopeHolds);
        // held at the edge: the tool stopped within a step of the zone's face, short of the 1.2 rad it was asked for
        Arm.HandPoints(rig.Link.LastCommand, rig.Cmd.GripperOpening, out var tool, out var left, out var right);
        double gap = Math.Min(Distance(zone, tool), Math.Min(Distance(zone, left), Distance(zone, right)));
        Assert.InRange(gap, 0, 0.005);
        Assert.True(rig.Link.LastCommand[0] < Arm.Home[0] + 0.6);
        // a command back out of the way passes at once
        rig.Cmd.Position[0] = rig.Link.LastCommand[0] - 0.001;
        long holds = rig.Gate.ZoneHolds;
        rig.Gate.Write(rig.Cmd);
        Assert.Equal(holds, rig.Gate.ZoneHolds);
        Assert.Equal(rig.Cmd.Position[0], rig.Link.LastCommand[0], 9);
    }

    [Fact]
    public void Closing_on_a_keep_out_zone_the_tool_slows_to_what_stops_it_at_the_face()
    {
        var zone = ZoneAtPan(0.6);
        var rig = new Rig(new SafetyZones([zone], [], braking: 2.0));
        rig.PanTo(1.2, 400);                                  // asked for 3 rad/s: the joint's and the envelope's limits bind
        for (int t = 0; t < 3000; t++) rig.Gate.Write(rig.Cmd);
        Assert.Equal(0, rig.WorstDepth);
        // every step towards the zone within sqrt(2·a·gap) of where the hand was (a thousandth for the scaling's rounding)
        Assert.InRange(rig.WorstApproachRatio, 0.5, 1.001);
        // far from the zone the same motion ran at the envelope's 1 m/s: braking only bites close to it
        Assert.True(rig.WorstStep > 0.5 * Period, $"fastest step {rig.WorstStep * 1e3:F3} mm");
        // it still reaches the face: a crawl, not a stall short of it
        Arm.HandPoints(rig.Link.LastCommand, rig.Cmd.GripperOpening, out var tool, out var left, out var right);
        Assert.InRange(Math.Min(Distance(zone, tool), Math.Min(Distance(zone, left), Distance(zone, right))), 0, 0.001);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SafetyZones([zone], [], braking: 0));
    }

    [Fact]
    public void Without_zones_the_same_motion_passes_through()
    {
        var zone = ZoneAtPan(0.6);
        var rig = new Rig(new SafetyZones([], []));
        rig.PanTo(1.2, 3000);
        Assert.Equal(0, rig.Gate.ZoneHolds);
        Assert.Equal(Arm.Home[0] + 1.2, rig.Link.LastCommand[0], 6);
        // the unzoned gate let the tool through where the zone would be
        Assert.True(zone.Depth(ToolAtPan(0.6)) > 0.04);
    }

    [Fact]
    public void An_arm_found_inside_a_zone_may_leave_it_but_not_go_deeper()
    {
        // around the home tool and fingertips, long in y (where panning carries them): all three leave through its +y face
        var home = ToolAtPan(0);
        var zone = new SafetyZone("z", home - new Vec3(0.03, 0.1, 0.03), home + new Vec3(0.03, 0.1, 0.03));
        var rig = new Rig(new SafetyZones([zone], []));
        rig.PanTo(0.3, 1000);                     // out of the zone: passes, getting shallower
        Assert.Equal(0, rig.Gate.ZoneHolds);
        Assert.Equal(Arm.Home[0] + 0.3, rig.Link.LastCommand[0], 6);
        rig.PanTo(0.0, 1000);                     // and back in is held at the edge
        Assert.True(rig.Gate.ZoneHolds > 0);
        Assert.True(rig.Link.LastCommand[0] > Arm.Home[0] + 0.2);
    }

    [Fact]
    public void Inside_a_speed_zone_the_tool_moves_no_faster_than_its_limit()
    {
        var box = ZoneAtPan(0.4, half: 0.12) with { Name = "slow" };
        var rig = new Rig(new SafetyZones([], [new SpeedZone(box, 0.1)]), box);
        rig.PanTo(1.0, 600);                       // ~1.7 rad/s asked: far above 0.1 m/s at the tool
        Assert.True(rig.WorstStepInSpeedZone > 0);
        Assert.True(rig.WorstStepInSpeedZone <= 0.1 * Period * 1.0001, $"step {rig.WorstStepInSpeedZone * 1e3:F4} mm in the zone");
        Assert.True(rig.WorstStep > 0.1 * Period * 2, "outside the zone the envelope's 1 m/s applies");
        Assert.True(rig.Gate.SpeedScaled > 0);
    }

    [Fact]
    public void A_skills_tool_speed_cap_applies_until_lifted()
    {
        var rig = new Rig(new SafetyZones([], []));
        ((IToolSpeedCap)rig.Gate).CapToolSpeed(0.05);
        rig.PanTo(0.2, 200);
        Assert.True(rig.WorstStep <= 0.05 * Period * 1.0001, $"step {rig.WorstStep * 1e3:F4} mm");
        rig.Gate.CapToolSpeed(double.PositiveInfinity);
        rig.WorstStep = 0;
        rig.PanTo(0.2, 200);
        Assert.True(rig.WorstStep > 0.05 * Period * 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Gate.CapToolSpeed(0));
    }

    [Fact]
    public void A_cap_set_on_a_gate_without_envelope_or_zones_starts_from_where_the_hand_is()
    {
        var link = new FakeArmLink(Arm);
        var gate = new SafetyGate(link, Arm);
        gate.Start(Period);
        var cmd = new JointCommandBuffer(Arm.Dof);
        for (int i = 0; i < Arm.Dof; i++) cmd.Position[i] = Arm.Home[i];
        for (int t = 1; t <= 500; t++) { cmd.Position[0] = Arm.Home[0] + 0.3 * t / 500; gate.Write(cmd); }
        gate.CapToolSpeed(0.05);
        cmd.Position[0] += 0.0001;   // a small step: within the cap, so it must pass rather than hold on a stale tool position
        gate.Write(cmd);
        Assert.Equal(cmd.Position[0], link.LastCommand[0], 9);
    }

    [Fact]
    public void Zone_enforcement_allocates_nothing_per_command()
    {
        var rig = new Rig(new SafetyZones([ZoneAtPan(0.6)], [new SpeedZone(ZoneAtPan(0.2, 0.1) with { Name = "s" }, 0.3)]));
        rig.Link.OnWrite = null;
        rig.PanTo(0.1, 100);
        long before = GC.GetAllocatedBytesForCurrentThread();
        rig.PanTo(1.2, 2000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_trajectory_into_a_keep_out_zone_is_refused_whole()
    {
        var zone = ZoneAtPan(0.6);
        var link = new FakeTrajectoryLink(Arm);
        var gate = new SafetyGate(link, Arm, Envelope, new SafetyZones([zone], []));
        gate.Start(Period);
        var t = new ArmTrajectory(Arm.Dof, 10, "pan");
        for (int k = 0; k < 10; k++)
        {
            t.TimeFromStart[k] = 0.5 * (k + 1);
            for (int i = 0; i < Arm.Dof; i++) t.Position[k * Arm.Dof + i] = Arm.Home[i];
            t.Position[k * Arm.Dof] = Arm.Home[0] + 1.2 * (k + 1) / 10;
        }
        t.Count = 10;
        Assert.False(gate.Execute(t, out var why));
        Assert.Contains("would enter a keep-out zone", why, StringComparison.Ordinal);
    }

    private static double Distance(SafetyZone z, Vec3 p)
    {
        double dx = Math.Max(0, Math.Max(z.Min.X - p.X, p.X - z.Max.X));
        double dy = Math.Max(0, Math.Max(z.Min.Y - p.Y, p.Y - z.Max.Y));
        double dz = Math.Max(0, Math.Max(z.Min.Z - p.Z, p.Z - z.Max.Z));
        return Math.Sqrt(dx * dx + dy * dy + dz * dz);
    }
}
