using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using CortexBot.Core;
using CortexBot.Core.Geometry;

namespace CortexBot.Sim.MuJoCo;

/// <summary>What <see cref="SdfWorldExporter"/> adds that an MJCF scene does not say.</summary>
public sealed record SdfExportOptions
{
    /// <summary>Camera image size: MuJoCoCamera's (and so `sim serve`'s) defaults, so both simulators give the same intrinsics.</summary>
    public int CameraWidth { get; init; } = new MuJoCoCameraOptions().Width;
    public int CameraHeight { get; init; } = new MuJoCoCameraOptions().Height;
    /// <summary>Camera rate in Hz: `sim serve --camera-rate`'s default.</summary>
    public double CameraRateHz { get; init; } = 5;
    /// <summary>Gazebo topic of the camera images; ros_gz_bridge maps it to the ROS topic of the same name (CortexBot's image topic).</summary>
    public string CameraTopic { get; init; } = "/camera/image_raw";
    /// <summary>Rate of each free object's pose publisher (gz-sim-pose-publisher-system) in Hz.</summary>
    public double PoseRateHz { get; init; } = 30;
}

/// <summary>
/// The Gazebo (gz sim Harmonic) world of an MJCF scene: static fixtures, free objects, lights, the camera and the
/// gravity/step of sim/scene.xml, written as SDF 1.9 so Debian's libsdformat (and every newer one) validates it.
/// The articulated arm is left out: Gazebo gets it from the URDF (robot_state_publisher + `ros_gz_sim create`).
/// The world is derived from the file so the two simulators cannot drift apart; a test regenerates the checked-in copy.
/// Only what the scene uses is supported (box, cylinder, sphere and plane geoms placed by pos/quat); anything else is
/// refused with the geom's name rather than silently dropped.
/// </summary>
public static class SdfWorldExporter
{
    private sealed record Defaults(string Name, Dictionary<string, string> Geom);

    public static string Export(string mjcfPath, SdfExportOptions? options = null)
    {
        options ??= new SdfExportOptions();
        XDocument doc;
        try { doc = XDocument.Load(mjcfPath); }
        catch (Exception e) when (e is XmlException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"cannot read the MJCF scene {mjcfPath}: {e.Message}");
        }
        return new Writer(doc.Root!, Path.GetFileName(mjcfPath), options).Write();
    }

    private sealed class Writer(XElement mujoco, string source, SdfExportOptions options)
    {
        private readonly Dictionary<string, Dictionary<string, string>> _classes = ReadDefaults(mujoco);
        private readonly Dictionary<string, XElement> _materials = mujoco.Element("asset")?.Elements("material")
            .ToDictionary(m => (string)m.Attribute("name")!) ?? [];
        private readonly Dictionary<string, XElement> _textures = mujoco.Element("asset")?.Elements("texture")
            .Where(t => t.Attribute("name") is not null).ToDictionary(t => (string)t.Attribute("name")!) ?? [];

        public string Write()
        {
            var worldName = (string?)mujoco.Attribute("model") ?? throw new ConfigurationException($"{source}: <mujoco> has no model name (it names the Gazebo world)");
            var worldbody = mujoco.Element("worldbody") ?? throw new ConfigurationException($"{source}: no <worldbody>");
            var option = mujoco.Element("option");
            var world = new XElement("world", new XAttribute("name", worldName));

            // one physics step like MuJoCo's; Gazebo's default engine (DART) runs it
            world.Add(new XElement("physics", new XAttribute("name", "mujoco_step"), new XAttribute("type", "dart"),
                new XElement("max_step_size", Num(Attr(option, "timestep", 0.002))),
                new XElement("real_time_factor", "1")));
            world.Add(new XElement("gravity", Vec(Doubles(option?.Attribute("gravity")?.Value ?? "0 0 -9.81"))));
            // Systems gz sim Harmonic needs for this world: physics; user commands (create/remove/set_pose, used by
            // `ros_gz_sim create`); the scene broadcaster (/world/<name>/dynamic_pose/info and the world's /control
            // service that resets it); the sensors system that renders the camera.
            world.Add(Plugin("gz-sim-physics-system", "gz::sim::systems::Physics"));
            world.Add(Plugin("gz-sim-user-commands-system", "gz::sim::systems::UserCommands"));
            world.Add(Plugin("gz-sim-scene-broadcaster-system", "gz::sim::systems::SceneBroadcaster"));
            world.Add(Plugin("gz-sim-sensors-system", "gz::sim::systems::Sensors", new XElement("render_engine", "ogre2")));
            world.Add(new XElement("scene", new XElement("ambient", "0.4 0.4 0.4 1"), new XElement("background", "0.7 0.7 0.7 1"),
                new XElement("grid", "false")));

            foreach (var light in worldbody.Elements("light")) world.Add(Light(light));

            // Fixed geoms of the world body: one static model per name stem (table, table_top, table_leg1 -> table).
            var fixedGeoms = worldbody.Elements("geom").ToList();
            foreach (var group in fixedGeoms.GroupBy(g => Stem(Name(g, "geom"))))
            {
                var link = new XElement("link", new XAttribute("name", "link"));
                foreach (var g in group) AddGeom(link, g, null);
                world.Add(new XElement("model", new XAttribute("name", group.Key), new XElement("static", "true"), link));
            }

            foreach (var body in worldbody.Elements("body"))
            {
                var name = Name(body, "body");
                var joints = body.Descendants().Where(e => e.Name == "joint" || e.Name == "freejoint").ToList();
                if (joints.Any(j => j.Name == "joint" && (string?)j.Attribute("type") != "free"))
                {
                    world.Add(new XComment($" body '{name}' (articulated) is the arm: Gazebo spawns it from the URDF (ros_gz_sim create) "));
                    continue;
                }
                bool free = joints.Count > 0;
                if (body.Elements("body").Any())
                    throw new ConfigurationException($"{source}: body '{name}' nests bodies; only flat static or free bodies can be exported");
                var childclass = (string?)body.Attribute("childclass");
                var link = new XElement("link", new XAttribute("name", "link"));
                double mass = 0;
                Vec3 inertia = Vec3.Zero;
                foreach (var g in body.Elements("geom"))
                {
                    var attrs = AddGeom(link, g, childclass);
                    if (free)
                    {
                        var (m, i) = MassAndInertia(g, attrs);
                        mass += m;
                        inertia += i;
                    }
                }
                var model = new XElement("model", new XAttribute("name", name));
                model.Add(new XElement("pose", Pose(body)));
                if (free)
                {
                    link.AddFirst(new XElement("inertial", new XElement("mass", Num(mass)),
                        new XElement("inertia", new XElement("ixx", Num(inertia.X)), new XElement("ixy", "0"), new XElement("ixz", "0"),
                            new XElement("iyy", Num(inertia.Y)), new XElement("iyz", "0"), new XElement("izz", Num(inertia.Z)))));
                    model.Add(link);
                    // its pose on /model/<name>/pose (Pose_V; ros_gz_bridge turns it into tf2_msgs/TFMessage)
                    model.Add(Plugin("gz-sim-pose-publisher-system", "gz::sim::systems::PosePublisher",
                        new XElement("publish_link_pose", "false"), new XElement("publish_model_pose", "true"),
                        new XElement("publish_nested_model_pose", "true"), new XElement("use_pose_vector_msg", "true"),
                        new XElement("update_frequency", Num(options.PoseRateHz))));
                }
                else
                {
                    model.Add(new XElement("static", "true"), link);
                }
                world.Add(model);
            }

            foreach (var cam in worldbody.Elements("camera")) world.Add(Camera(cam));

            var sdf = new XElement("sdf", new XAttribute("version", "1.9"), world);
            var header = new XComment(
                $" Generated from sim/{source} by `cortexbot sim export-sdf` (out: launch/cortexbot_bringup/worlds/cortexbot.sdf); do not edit:\n" +
                "     edit the MJCF and regenerate (a test compares the two).\n" +
                "     Object poses are the MJCF's defaults: CortexBot's simulator seeds each episode's placement at run time, and a\n" +
                "     Gazebo world reset (/world/<name>/control, reset all) restores these poses. The arm comes from the URDF. ");
            var sb = new StringBuilder();
            using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, IndentChars = "  ", OmitXmlDeclaration = false, NewLineChars = "\n" }))
                new XDocument(new XDeclaration("1.0", "utf-8", null), header, sdf).Save(w);
            return sb.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"") + "\n";
        }

        private XElement Camera(XElement cam)
        {
            var name = Name(cam, "camera");
            var pos = Doubles(cam.Attribute("pos")?.Value ?? "0 0 0");
            var xy = Doubles(cam.Attribute("xyaxes")?.Value ?? throw new ConfigurationException($"{source}: camera '{name}' needs xyaxes"));
            // MuJoCo cameras look down their -z with +y up; Gazebo's look down +x with +z up (and +y to the left).
            var x = new Vec3(xy[0], xy[1], xy[2]).Normalized();
            var yRaw = new Vec3(xy[3], xy[4], xy[5]);
            var y = (yRaw - yRaw.Dot(x) * x).Normalized();
            var z = x.Cross(y);
            var (roll, pitch, yaw) = Rpy(-z, -x, y);
            double fovy = Attr(cam, "fovy", 45) * Math.PI / 180;
            int w = options.CameraWidth, h = options.CameraHeight;
            double f = h / 2.0 / Math.Tan(fovy / 2);  // pixels; square pixels as MuJoCo renders them
            double hfov = 2 * Math.Atan(w / 2.0 / f);
            var sensor = new XElement("sensor", new XAttribute("name", "camera"), new XAttribute("type", "camera"),
                new XElement("always_on", "true"), new XElement("update_rate", Num(options.CameraRateHz)),
                new XElement("topic", options.CameraTopic),
                new XElement("camera",
                    new XElement("horizontal_fov", Num(hfov)),
                    new XElement("image", new XElement("width", w), new XElement("height", h), new XElement("format", "R8G8B8")),
                    new XElement("clip", new XElement("near", "0.01"), new XElement("far", "10")),
                    new XElement("lens", new XElement("intrinsics", new XElement("fx", Num(f)), new XElement("fy", Num(f)),
                        new XElement("cx", Num(w / 2.0)), new XElement("cy", Num(h / 2.0)), new XElement("s", "0")))));
            return new XElement("model", new XAttribute("name", name),
                new XComment($" MJCF camera '{name}': same pose and vertical field of view ({Num(Attr(cam, "fovy", 45))} deg) "),
                new XElement("static", "true"),
                new XElement("pose", $"{Vec(pos)} {Num(roll)} {Num(pitch)} {Num(yaw)}"),
                new XElement("link", new XAttribute("name", "link"), sensor));
        }

        private XElement Light(XElement light)
        {
            var name = Name(light, "light");
            bool directional = (string?)light.Attribute("directional") == "true";
            var e = new XElement("light", new XAttribute("name", name), new XAttribute("type", directional ? "directional" : "spot"),
                new XElement("pose", $"{Vec(Doubles(light.Attribute("pos")?.Value ?? "0 0 0"))} 0 0 0"),
                new XElement("cast_shadows", (string?)light.Attribute("castshadow") == "false" ? "false" : "true"),
                new XElement("diffuse", Rgba(Doubles(light.Attribute("diffuse")?.Value ?? "0.7 0.7 0.7"))),
                new XElement("specular", Rgba(Doubles(light.Attribute("specular")?.Value ?? "0.3 0.3 0.3"))),
                new XElement("direction", Vec(Doubles(light.Attribute("dir")?.Value ?? "0 0 -1"))));
            if (!directional)
            {
                // MuJoCo's non-directional lights are spotlights: cutoff (degrees, default 45) and exponent (default 10)
                e.Add(new XElement("attenuation", new XElement("range", "10"), new XElement("constant", "1"), new XElement("linear", "0"), new XElement("quadratic", "0")));
                e.Add(new XElement("spot", new XElement("inner_angle", "0"),
                    new XElement("outer_angle", Num(Attr(light, "cutoff", 45) * Math.PI / 180)),
                    new XElement("falloff", Num(Attr(light, "exponent", 10)))));
            }
            return e;
        }

        /// <summary>A geom's visual (and collision, unless it collides with nothing) on the link; returns its resolved attributes.</summary>
        private Dictionary<string, string> AddGeom(XElement link, XElement g, string? childclass)
        {
            var name = Name(g, "geom");
            var attrs = Resolve(g, childclass);
            foreach (var unsupported in new[] { "euler", "axisangle", "xyaxes", "zaxis", "fromto" })
                if (attrs.ContainsKey(unsupported))
                    throw new ConfigurationException($"{source}: geom '{name}' is placed with '{unsupported}'; only pos/quat can be exported");
            var pose = Pose(attrs.GetValueOrDefault("pos"), attrs.GetValueOrDefault("quat"));
            var geometry = Geometry(name, attrs);
            var colour = Rgba(Colour(attrs));
            var material = new XElement("material", new XElement("ambient", colour), new XElement("diffuse", colour), new XElement("specular", "0.1 0.1 0.1 1"));
            bool collides = Int(attrs, "contype", 1) != 0 || Int(attrs, "conaffinity", 1) != 0;
            if (collides)
            {
                var friction = Doubles(attrs.GetValueOrDefault("friction") ?? "1 0.005 0.0001");
                link.Add(new XElement("collision", new XAttribute("name", name), new XElement("pose", pose), geometry,
                    new XElement("surface", new XElement("friction", new XElement("ode", new XElement("mu", Num(friction[0])), new XElement("mu2", Num(friction[0])))))));
            }
            link.Add(new XElement("visual", new XAttribute("name", name), new XElement("pose", pose), new XElement(geometry), material));
            return attrs;
        }

        private XElement Geometry(string name, Dictionary<string, string> a)
        {
            var type = a.GetValueOrDefault("type") ?? "sphere";
            var s = Doubles(a.GetValueOrDefault("size") ?? throw new ConfigurationException($"{source}: geom '{name}' has no size"));
            return new XElement("geometry", type switch
            {
                "box" => new XElement("box", new XElement("size", Vec([2 * s[0], 2 * s[1], 2 * s[2]]))),
                "cylinder" => new XElement("cylinder", new XElement("radius", Num(s[0])), new XElement("length", Num(2 * s[1]))),
                "sphere" => new XElement("sphere", new XElement("radius", Num(s[0]))),
                // MuJoCo planes collide as infinite planes, as SDF's do; size is what is drawn
                "plane" => new XElement("plane", new XElement("normal", "0 0 1"), new XElement("size", $"{Num(2 * s[0])} {Num(2 * s[1])}")),
                _ => throw new ConfigurationException($"{source}: geom '{name}' of type '{type}' cannot be exported to SDF"),
            });
        }

        /// <summary>Mass (from mass, else density x volume) and the diagonal inertia about the geom's centre.</summary>
        private (double Mass, Vec3 Inertia) MassAndInertia(XElement g, Dictionary<string, string> a)
        {
            var s = Doubles(a["size"]);
            var type = a.GetValueOrDefault("type") ?? "sphere";
            if (a.ContainsKey("pos") && Doubles(a["pos"]).Any(v => v != 0))
                throw new ConfigurationException($"{source}: geom '{Name(g, "geom")}' of a free body is off its body's origin; only centred geoms are exported");
            double volume = type switch
            {
                "box" => 8 * s[0] * s[1] * s[2],
                "sphere" => 4.0 / 3 * Math.PI * s[0] * s[0] * s[0],
                "cylinder" => Math.PI * s[0] * s[0] * 2 * s[1],
                _ => throw new ConfigurationException($"{source}: geom '{Name(g, "geom")}' of type '{type}' has no exported inertia"),
            };
            double m = a.TryGetValue("mass", out var ms) ? Double(ms) : Attr(a, "density", 1000) * volume;
            Vec3 i = type switch
            {
                "box" => new Vec3(m / 3 * (s[1] * s[1] + s[2] * s[2]), m / 3 * (s[0] * s[0] + s[2] * s[2]), m / 3 * (s[0] * s[0] + s[1] * s[1])),
                "sphere" => new Vec3(0.4 * m * s[0] * s[0], 0.4 * m * s[0] * s[0], 0.4 * m * s[0] * s[0]),
                _ => new Vec3(m / 12 * (3 * s[0] * s[0] + 4 * s[1] * s[1]), m / 12 * (3 * s[0] * s[0] + 4 * s[1] * s[1]), m / 2 * s[0] * s[0]),
            };
            return (m, i);
        }

        private double[] Colour(Dictionary<string, string> a)
        {
            if (a.TryGetValue("rgba", out var rgba)) return Doubles(rgba);
            if (a.TryGetValue("material", out var mat) && _materials.TryGetValue(mat, out var m))
            {
                if (m.Attribute("rgba") is { } r) return Doubles(r.Value);
                // a textured material: its texture's first colour
                if ((string?)m.Attribute("texture") is { } t && _textures.TryGetValue(t, out var tex) && tex.Attribute("rgb1") is { } c)
                    return [.. Doubles(c.Value), 1];
            }
            return [0.5, 0.5, 0.5, 1];  // MuJoCo's default geom colour
        }

        /// <summary>A geom's attributes: its class's defaults (the body's childclass, else main), overridden by its own.</summary>
        private Dictionary<string, string> Resolve(XElement g, string? childclass)
        {
            var cls = (string?)g.Attribute("class") ?? childclass ?? "main";
            if (!_classes.TryGetValue(cls, out var defaults))
                throw new ConfigurationException($"{source}: geom '{(string?)g.Attribute("name")}' uses unknown default class '{cls}'");
            var a = new Dictionary<string, string>(defaults);
            foreach (var at in g.Attributes()) a[at.Name.LocalName] = at.Value;
            return a;
        }

        private static Dictionary<string, Dictionary<string, string>> ReadDefaults(XElement mujoco)
        {
            var classes = new Dictionary<string, Dictionary<string, string>> { ["main"] = [] };
            void Walk(XElement d, Dictionary<string, string> inherited)
            {
                var mine = new Dictionary<string, string>(inherited);
                if (d.Element("geom") is { } geom) foreach (var at in geom.Attributes()) mine[at.Name.LocalName] = at.Value;
                classes[(string?)d.Attribute("class") ?? "main"] = mine;
                foreach (var child in d.Elements("default")) Walk(child, mine);
            }
            foreach (var d in mujoco.Elements("default")) Walk(d, []);
            return classes;
        }

        private string Name(XElement e, string what) =>
            (string?)e.Attribute("name") ?? throw new ConfigurationException($"{source}: a {what} without a name cannot be exported (SDF needs names)");

        private static string Stem(string name) => name.Split('_')[0];

        private static string Pose(XElement body) => Pose(body.Attribute("pos")?.Value, body.Attribute("quat")?.Value);

        private static string Pose(string? pos, string? quat)
        {
            var p = Doubles(pos ?? "0 0 0");
            var q = Doubles(quat ?? "1 0 0 0");  // MJCF order: w x y z
            var r = new Quat(q[0], q[1], q[2], q[3]).Normalized();
            var (roll, pitch, yaw) = Rpy(r.Rotate(Vec3.UnitX), r.Rotate(Vec3.UnitY), r.Rotate(Vec3.UnitZ));
            return $"{Vec(p)} {Num(roll)} {Num(pitch)} {Num(yaw)}";
        }

        /// <summary>SDF's roll-pitch-yaw (R = Rz(yaw) Ry(pitch) Rx(roll)) of the frame whose axes are x, y, z in the parent.</summary>
        private static (double Roll, double Pitch, double Yaw) Rpy(Vec3 x, Vec3 y, Vec3 z)
        {
            // R's columns are x, y, z: R20 = x.Z, R21 = y.Z, R22 = z.Z, R10 = x.Y, R00 = x.X
            double pitch = Math.Asin(Math.Clamp(-x.Z, -1, 1));
            double roll = Math.Atan2(y.Z, z.Z);
            double yaw = Math.Atan2(x.Y, x.X);
            return (roll, pitch, yaw);
        }

        private XElement Plugin(string filename, string name, params object[] content) =>
            new("plugin", new XAttribute("filename", filename), new XAttribute("name", name), content);

        private static int Int(Dictionary<string, string> a, string key, int fallback) =>
            a.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

        private static double Attr(XElement? e, string key, double fallback) =>
            e?.Attribute(key) is { } a ? Double(a.Value) : fallback;

        private static double Attr(Dictionary<string, string> a, string key, double fallback) =>
            a.TryGetValue(key, out var v) ? Double(v) : fallback;

        private static double Double(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

        private static double[] Doubles(string s) => [.. s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(Double)];

        private static string Vec(double[] v) => string.Join(' ', v.Select(Num));

        private static string Rgba(double[] c) => Vec(c.Length == 3 ? [.. c, 1] : c);

        /// <summary>Numbers to 9 significant digits (stable across runs and platforms, exact for the MJCF's own decimals).</summary>
        private static string Num(double v) => (v == 0 ? 0 : v).ToString("G9", CultureInfo.InvariantCulture);  // no "-0"
    }
}
