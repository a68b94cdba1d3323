using System.Collections.Immutable;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Sim.MuJoCo;

/// <summary>
/// Fault injection, for tests and tools that check the cerebellum's anomaly screen: an obstruction that stops a joint,
/// an object knocked out of the gripper or moved under the arm. Like every other mutation of the world, these run on
/// the control thread (inside the loop's <c>InvokeAsync</c>, or from a link decorator between ticks).
/// </summary>
public sealed unsafe partial class MuJoCoWorld
{
    /// <summary>Freeze arm joint <paramref name="joint"/> where it is now (the scene's <c>brake_&lt;joint&gt;</c> constraint).</summary>
    public void BlockJoint(string joint)
    {
        ThrowIfDisposed();
        int i = ArmJointIndex(joint);
        int eq = BrakeId(joint);
        double q = _qpos[_armQ[i]];
        Check(Native.SetEquality(_h, eq, 1, q - Native.Qpos0(_h, _armQ[i])), "set equality");
    }

    /// <summary>Release a joint frozen by <see cref="BlockJoint"/>.</summary>
    public void ReleaseJoint(string joint)
    {
        ThrowIfDisposed();
        ArmJointIndex(joint);
        Check(Native.SetEquality(_h, BrakeId(joint), 0, 0), "set equality");
    }

    /// <summary>Whether the scene has the brake constraints that <see cref="BlockJoint"/> needs.</summary>
    public bool CanBlockJoints
    {
        get
        {
            ThrowIfDisposed();
            foreach (var j in ArmJoints) if (Native.EqualityId(_h, "brake_" + j) < 0) return false;
            return true;
        }
    }

    /// <summary>Knock a cube away: it leaves whatever holds it and lands, at rest, at <paramref name="position"/> (yaw kept).</summary>
    public void KnockObject(string name, Vec3 position)
    {
        int index = IndexOf(name);
        if (index < 0 || !TryGetPose(index, out var pose) || index >= _cubeNames.Length)
            throw new ArgumentException($"No movable object '{name}' in {ScenePath}.", nameof(name));
        SetObjectPose(name, new Pose(position, Quat.FromAxisAngle(Vec3.UnitZ, pose.Orientation.Yaw)));
    }

    private void ReleaseAllJoints()
    {
        foreach (var j in ArmJoints)
        {
            int eq = Native.EqualityId(_h, "brake_" + j);
            if (eq >= 0) Native.SetEquality(_h, eq, 0, 0);
        }
    }

    private int ArmJointIndex(string joint)
    {
        int i = ArmJoints.IndexOf(joint);
        if (i < 0) throw new ArgumentException($"'{joint}' is not an arm joint ({string.Join(", ", ArmJoints)}).", nameof(joint));
        return i;
    }

    private int BrakeId(string joint)
    {
        int eq = Native.EqualityId(_h, "brake_" + joint);
        if (eq < 0) throw new InvalidOperationException($"{ScenePath} has no equality constraint brake_{joint}; fault injection needs the scene's brakes.");
        return eq;
    }
}

/// <summary>How heavy and how slippery a movable object is (kg; sliding friction coefficient).</summary>
public sealed record ObjectPhysics(double Mass, double Friction);

public sealed unsafe partial class MuJoCoWorld
{
    /// <summary>The mass and sliding friction of cube <paramref name="name"/> as the simulator has them now.</summary>
    public ObjectPhysics GetObjectPhysics(string name)
    {
        ThrowIfDisposed();
        var (body, geom) = ObjectIds(name);
        double* f = stackalloc double[3];
        int priority;
        Require(Native.GeomFriction(_h, geom, f, &priority), "read the friction of", name);
        return new ObjectPhysics(Native.BodyMass(_h, body), f[0]);
    }

    /// <summary>
    /// Make cube <paramref name="name"/> heavier or more slippery than the scene file says, until the world is disposed
    /// (resets keep it: it is a property of the object, not of its pose). Its friction then governs its contacts even
    /// against the grippy finger pads. For perturbation scenarios the planner cannot see.
    /// </summary>
    public void SetObjectPhysics(string name, ObjectPhysics physics)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(physics);
        if (!(physics.Mass > 0) || !double.IsFinite(physics.Mass) || physics.Mass > 10)
            throw new ArgumentOutOfRangeException(nameof(physics), $"mass {physics.Mass} kg is not in (0, 10]");
        if (!(physics.Friction > 0) || !double.IsFinite(physics.Friction) || physics.Friction > 5)
            throw new ArgumentOutOfRangeException(nameof(physics), $"friction {physics.Friction} is not in (0, 5]");
        var (body, geom) = ObjectIds(name);
        double* f = stackalloc double[3];
        int priority;
        Require(Native.GeomFriction(_h, geom, f, &priority), "read the friction of", name);
        f[0] = physics.Friction;
        Require(Native.SetGeomFriction(_h, geom, f, 1), "set the friction of", name);
        Require(Native.SetBodyMass(_h, body, physics.Mass), "set the mass of", name);
        lock (_perturbed)
        {
            if (!_perturbed.Contains(name)) _perturbed.Add(name);
        }
    }

    // Objects whose physics SetObjectPhysics changed, in the order first changed; their values are read back from the model.
    private readonly List<string> _perturbed = [];

    /// <summary>
    /// Each object <see cref="SetObjectPhysics"/> changed, with mass and friction read back from the model (what the
    /// physics really runs with, not what was asked for).
    /// </summary>
    public ImmutableArray<AppliedPerturbation> AppliedPerturbations()
    {
        string[] names;
        lock (_perturbed) names = [.. _perturbed];
        return [.. names.Select(n => GetObjectPhysics(n)).Zip(names, (p, n) => new AppliedPerturbation(n, p.Mass, p.Friction))];
    }

    private static void Require(int rc, string what, string name)
    {
        if (rc != 0) throw new InvalidOperationException($"MuJoCo shim could not {what} {name}.");
    }

    private (int Body, int Geom) ObjectIds(string name)
    {
        if (Array.IndexOf(_cubeNames, name) < 0)
            throw new ArgumentException($"No movable object '{name}' in {ScenePath} (objects: {string.Join(", ", _cubeNames)}).", nameof(name));
        int body = Native.BodyId(_h, name);
        // its geom named <name>_geom, else its first geom
        int geom = Native.GeomId(_h, name + "_geom");
        if (geom < 0 && Native.BodyGeomNum(_h, body) > 0) geom = Native.BodyGeomAdr(_h, body);
        if (geom < 0) throw new InvalidOperationException($"{ScenePath} has no geom for object {name}.");
        return (body, geom);
    }
}
