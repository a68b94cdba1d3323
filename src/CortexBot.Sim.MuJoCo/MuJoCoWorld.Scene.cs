using System.Collections.Immutable;
using System.Runtime.InteropServices;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Sim.MuJoCo;

/// <summary>
/// The scene's objects and containers: read from the compiled model at load (free boxes, their drawn colours, the
/// containers' inner volumes) and served as snapshots of the published poses.
/// </summary>
public sealed unsafe partial class MuJoCoWorld
{
    /// <summary>Movable objects are 0..n-1 (in scene order); the containers follow, n..n+m-1.</summary>
    public int IndexOf(string name)
    {
        int i = Array.IndexOf(_cubeNames, name);
        if (i >= 0) return i;
        for (int k = 0; k < _containers.Length; k++)
            if (_containers[k].Name == name) return _cubeNames.Length + k;
        return -1;
    }

    public SceneSnapshot Snapshot()
    {
        ThrowIfDisposed();
        int n = _cubeQ.Length;
        Span<double> poses = n <= 16 ? stackalloc double[7 * 16] : new double[7 * n];
        long stamp, version;
        lock (_poseLock)
        {
            if (_cached is not null && _cachedVersion == _poseVersion) return _cached;
            _cubePose.AsSpan().CopyTo(poses);
            stamp = _poseStampNs;
            version = _poseVersion;
        }
        var objects = ImmutableArray.CreateBuilder<SceneObject>(n + _containers.Length);
        for (int c = 0; c < n; c++)
        {
            var p = poses.Slice(7 * c, 7);
            var pose = new Pose(new Vec3(p[0], p[1], p[2]), new Quat(p[3], p[4], p[5], p[6]).Normalized());
            objects.Add(new SceneObject(_cubeNames[c], SceneKinds.Cube, _cubeColors[c], pose, _cubeHalf[c]));
        }
        objects.AddRange(_containers);
        var snapshot = new SceneSnapshot(stamp, objects.MoveToImmutable());
        lock (_poseLock)
        {
            if (version > _cachedVersion)
            {
                _cached = snapshot;
                _cachedVersion = version;
            }
        }
        return snapshot;
    }

    /// <summary>The colour word for a drawn colour: its hue's name, or null for greys, whites and blacks (low saturation or value).</summary>
    public static string? ColorName(double r, double g, double b)
    {
        double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
        if (max < 0.15 || max - min < 0.25 * max) return null;
        double d = max - min;
        double hue = max == r ? 60 * (((g - b) / d) % 6) : max == g ? 60 * ((b - r) / d + 2) : 60 * ((r - g) / d + 4);
        if (hue < 0) hue += 360;
        return hue switch
        {
            < 15 or >= 340 => "red",
            < 40 => "orange",
            < 70 => "yellow",
            < 165 => "green",
            < 195 => "cyan",
            < 255 => "blue",
            < 290 => "purple",
            _ => "pink",
        };
    }

    private static bool IsContainerName(string name) =>
        name == BinName || name.EndsWith("_" + BinName, StringComparison.Ordinal);

    private string BodyName(int body)
    {
        var p = Native.BodyName(_h, body);
        return p == null ? "" : Marshal.PtrToStringUTF8((nint)p) ?? "";
    }

    private (Vec3 Half, (float R, float G, float B) Rgba, Vec3 Pos)? FirstBox(int body)
    {
        foreach (var g in BoxGeoms(body))
            return g;
        return null;
    }

    private List<(Vec3 Half, (float R, float G, float B) Rgba, Vec3 Pos)> BoxGeoms(int body)
    {
        var list = new List<(Vec3, (float, float, float), Vec3)>();
        int adr = Native.BodyGeomAdr(_h, body), num = Native.BodyGeomNum(_h, body);
        double* size = stackalloc double[3];
        double* pos = stackalloc double[3];
        double* quat = stackalloc double[4];
        float* rgba = stackalloc float[4];
        for (int g = adr; g < adr + num; g++)
        {
            if (Native.GeomType(_h, g) != Native.GeomBox) continue;
            Check(Native.GeomFrame(_h, g, size, pos, quat), "geom frame");
            Check(Native.GeomRgba(_h, g, rgba), "geom rgba");
            if (Math.Abs(Math.Abs(quat[0]) - 1) > 1e-9)
                throw new ConfigurationException($"MuJoCo scene {ScenePath}: body '{BodyName(body)}' has a rotated box geom; objects and containers need axis-aligned boxes in their body frame.");
            list.Add((new Vec3(size[0], size[1], size[2]), (rgba[0], rgba[1], rgba[2]), new Vec3(pos[0], pos[1], pos[2])));
        }
        return list;
    }

    /// <summary>
    /// A container's inner volume from its boxes: the floor is the box with the largest footprint, the walls the others;
    /// inside is what lies between the walls' inner faces (x and y) and from the floor's top to the lowest wall top.
    /// </summary>
    private (SceneObject Inner, Vec3 OuterHalf) ReadContainer(int body)
    {
        var name = BodyName(body);
        var boxes = BoxGeoms(body);
        if (boxes.Count < 5)
            throw new ConfigurationException($"MuJoCo scene {ScenePath}: container '{name}' needs a floor and four walls (box geoms), has {boxes.Count} boxes.");
        var floor = boxes.MaxBy(b => b.Half.X * b.Half.Y);
        double innerX = double.MaxValue, innerY = double.MaxValue, rim = double.MaxValue, outerX = 0, outerY = 0;
        foreach (var w in boxes)
        {
            outerX = Math.Max(outerX, Math.Abs(w.Pos.X) + w.Half.X);
            outerY = Math.Max(outerY, Math.Abs(w.Pos.Y) + w.Half.Y);
            if (w == floor) continue;
            rim = Math.Min(rim, w.Pos.Z + w.Half.Z);
            // a wall is thin across the side it closes
            if (w.Half.X < w.Half.Y) innerX = Math.Min(innerX, Math.Abs(w.Pos.X) - w.Half.X);
            else innerY = Math.Min(innerY, Math.Abs(w.Pos.Y) - w.Half.Y);
        }
        double bottom = floor.Pos.Z + floor.Half.Z;
        if (innerX == double.MaxValue || innerY == double.MaxValue || !(innerX > 0) || !(innerY > 0) || !(rim > bottom))
            throw new ConfigurationException($"MuJoCo scene {ScenePath}: container '{name}' has no closed inner volume (walls on both sides in x and y above its floor).");
        var half = new Vec3(innerX, innerY, (rim - bottom) / 2);
        var bodyPose = ReadBodyPose(body);
        var colour = ColorName(floor.Rgba.R, floor.Rgba.G, floor.Rgba.B);
        var centre = bodyPose.Transform(new Vec3(0, 0, bottom + half.Z));
        return (new SceneObject(name, SceneKinds.Bin, colour, new Pose(centre, bodyPose.Orientation), half), new Vec3(outerX, outerY, 0));
    }

    private int FreeDofAddress(string body)
    {
        int b = Native.BodyId(_h, body);
        return Native.JointDofAdr(_h, Native.BodyJointAdr(_h, b));
    }
}
