using System.Text.RegularExpressions;
using System.Xml.Linq;
using CortexBot.Core;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// launch/cortexbot_msgs (an ament_cmake rosidl package, so `ros2 topic echo` can decode CortexBot's own topics) agrees
/// with the IDL CortexBot puts on the wire: one .msg per struct of module cortexbot_msgs, the same fields in the same
/// order with the types rosidl maps to that IDL (float64 = double, bool = boolean, T[] = sequence&lt;T&gt;, pkg/Type = pkg::msg::dds_::Type_).
/// </summary>
public sealed partial class CortexBotMsgsPackageTests
{
    private static readonly string Package = Path.Combine(RepoPaths.Root, "launch", "cortexbot_msgs");
    private static readonly string Idl = Path.Combine(RepoPaths.Root, "src", "CortexBot.Brainstem.Ros2", "native", "ros2_types.idl");

    private static readonly Dictionary<string, string> IdlPrimitives = new()
    {
        ["boolean"] = "bool", ["octet"] = "byte", ["char"] = "char", ["uint8"] = "uint8", ["int8"] = "int8", ["uint16"] = "uint16", ["int16"] = "int16",
        ["uint32"] = "uint32", ["int32"] = "int32", ["uint64"] = "uint64", ["int64"] = "int64", ["float"] = "float32", ["double"] = "float64", ["string"] = "string",
    };

    [GeneratedRegex(@"//[^\n]*")] private static partial Regex LineComment();
    [GeneratedRegex(@"@final\s+struct\s+(\w+)_\s*\{([^}]*)\}\s*;")] private static partial Regex Struct();
    [GeneratedRegex(@"^(?:(\w+)::msg::dds_::(\w+)_|sequence<(.+?)(?:,\s*(\d+))?>|string<(\d+)>|(\w+))$")] private static partial Regex IdlType();

    /// <summary>The structs of one package's module of the IDL, each field as (msg type, name), in order.</summary>
    public static Dictionary<string, List<(string Type, string Name)>> ParseIdl(string idl, string package)
    {
        idl = LineComment().Replace(idl, "");
        int start = idl.IndexOf($"module {package} {{", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the IDL has no module {package}");
        int depth = 0, end = start;
        for (int i = idl.IndexOf('{', start); i < idl.Length; i++)
        {
            if (idl[i] == '{') depth++;
            else if (idl[i] == '}' && --depth == 0) { end = i; break; }
        }
        var structs = new Dictionary<string, List<(string, string)>>();
        foreach (Match s in Struct().Matches(idl[start..end]))
        {
            var fields = new List<(string, string)>();
            foreach (var decl in s.Groups[2].Value.Split(';').Select(d => Regex.Replace(d.Trim(), @"\s+", " ")).Where(d => d.Length > 0))
            {
                var array = Regex.Match(decl, @"^(.+) (\w+)\[(\d+)\]$");
                if (array.Success) { fields.Add(($"{MsgType(array.Groups[1].Value)}[{array.Groups[3].Value}]", array.Groups[2].Value)); continue; }
                int cut = decl.LastIndexOf(' ');
                fields.Add((MsgType(decl[..cut]), decl[(cut + 1)..]));
            }
            structs[s.Groups[1].Value] = fields;
        }
        return structs;
    }

    private static string MsgType(string idlType)
    {
        var m = IdlType().Match(idlType.Replace(" ", ""));
        Assert.True(m.Success, $"IDL type '{idlType}' has no .msg equivalent the test knows");
        if (m.Groups[1].Success) return $"{m.Groups[1].Value}/{m.Groups[2].Value}";
        if (m.Groups[3].Success) return MsgType(m.Groups[3].Value) + (m.Groups[4].Success ? $"[<={m.Groups[4].Value}]" : "[]");
        if (m.Groups[5].Success) return $"string<={m.Groups[5].Value}";
        Assert.True(IdlPrimitives.TryGetValue(m.Groups[6].Value, out var p), $"IDL type '{idlType}' has no .msg equivalent the test knows");
        return p;
    }

    /// <summary>A .msg file's fields as (type, name), constants and comments left out; pkg/msg/Type and bare Type normalised to pkg/Type.</summary>
    public static List<(string Type, string Name)> ParseMsg(string text, string package)
    {
        var fields = new List<(string, string)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            var parts = line.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
            Assert.True(parts.Length >= 2, $"malformed .msg line '{raw}'");
            if (parts[1].Contains('=')) continue;  // a constant, not a field
            var type = parts[0];
            var suffix = Regex.Match(type, @"(\[.*\])$").Value;
            var element = type[..^suffix.Length].Replace("/msg/", "/", StringComparison.Ordinal);
            if (!IdlPrimitives.ContainsValue(element) && !element.StartsWith("string<=", StringComparison.Ordinal) && !element.Contains('/')) element = $"{package}/{element}";
            fields.Add((element + suffix, parts[1]));
        }
        return fields;
    }

    private static Dictionary<string, List<(string Type, string Name)>> Msgs() =>
        Directory.GetFiles(Path.Combine(Package, "msg"), "*.msg").ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => ParseMsg(File.ReadAllText(f), "cortexbot_msgs"));

    [Fact]
    public void Msg_files_match_the_wire_idl_field_by_field()
    {
        var idl = ParseIdl(File.ReadAllText(Idl), "cortexbot_msgs");
        var msgs = Msgs();
        Assert.Equal(idl.Keys.Order(), msgs.Keys.Order());
        Assert.Contains("LinkStatus", idl.Keys);
        foreach (var (name, fields) in idl)
            Assert.True(fields.SequenceEqual(msgs[name]),
                $"{name}.msg disagrees with the IDL:\n  IDL: {string.Join(", ", fields.Select(f => $"{f.Type} {f.Name}"))}\n  msg: {string.Join(", ", msgs[name].Select(f => $"{f.Type} {f.Name}"))}");
    }

    [Fact]
    public void The_comparison_sees_a_reordered_field_a_scalar_for_a_sequence_and_bounded_types()
    {
        var idl = ParseIdl(File.ReadAllText(Idl), "cortexbot_msgs")["ResetRequest"];
        Assert.Equal([("uint32", "reset_id"), ("int32", "seed")], idl);
        Assert.False(idl.SequenceEqual(ParseMsg("int32 seed\nuint32 reset_id\n", "cortexbot_msgs")));
        Assert.False(ParseIdl(File.ReadAllText(Idl), "cortexbot_msgs")["SceneStatus"].SequenceEqual(
            ParseMsg(File.ReadAllText(Path.Combine(Package, "msg", "SceneStatus.msg")).Replace("float64[] poses", "float64 poses"), "cortexbot_msgs")));
        // the other layouts the IDL uses elsewhere map as rosidl maps them
        var other = ParseIdl("module p { module msg { module dds_ { @final struct T_ { uint8 data[16]; string<256> n; sequence<p::msg::dds_::U_> us; sequence<double, 4> d; }; }; }; };", "p")["T"];
        Assert.Equal([("uint8[16]", "data"), ("string<=256", "n"), ("p/U[]", "us"), ("float64[<=4]", "d")], other);
        Assert.Equal(other, ParseMsg("uint8[16] data\nstring<=256 n\nU[] us\nfloat64[<=4] d\nint32 CONSTANT=3\n", "p"));
    }

    [Fact]
    public void Package_builds_every_msg_file_and_declares_what_they_use()
    {
        var cmake = File.ReadAllText(Path.Combine(Package, "CMakeLists.txt"));
        Assert.Contains("project(cortexbot_msgs)", cmake);
        var listed = Regex.Matches(cmake, "\"(msg/\\w+\\.msg)\"").Select(m => m.Groups[1].Value).Order().ToList();
        Assert.Equal(Msgs().Keys.Select(k => $"msg/{k}.msg").Order(), listed);
        var manifest = XDocument.Load(Path.Combine(Package, "package.xml")).Root!;
        Assert.Equal("cortexbot_msgs", manifest.Element("name")!.Value);
        Assert.Equal("rosidl_interface_packages", manifest.Element("member_of_group")!.Value);
        var depends = manifest.Elements("depend").Select(e => e.Value).ToHashSet();
        var generated = Regex.Match(cmake, @"DEPENDENCIES([^)]*)\)").Groups[1].Value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        foreach (var package in Msgs().Values.SelectMany(f => f).Select(f => f.Type).Where(t => t.Contains('/')).Select(t => t.Split('/')[0]).Distinct().Where(p => p != "cortexbot_msgs"))
        {
            Assert.Contains(package, depends);
            Assert.Contains($"find_package({package} REQUIRED)", cmake);
            Assert.Contains(package, generated);
        }
    }
}
