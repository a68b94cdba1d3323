using System.Text.RegularExpressions;
using CortexBot.Cerebellum.Learning.Onnx.Proto;
using CortexBot.Core;
using Google.Protobuf.Reflection;

namespace CortexBot.Cerebellum.Learning.Tests;

/// <summary>
/// The ONNX protobuf types are compiled from the checked-in .proto at build time (Grpc.Tools' Protobuf item), never
/// checked in as generated C#: the compiled descriptors carry exactly the messages, fields (name, number, label, type,
/// oneof) and enum values the .proto declares, and no generated source sits beside it.
/// </summary>
public sealed partial class OnnxProtoTests
{
    private static readonly string ProjectDir = Path.Combine(RepoPaths.Root, "src", "CortexBot.Cerebellum.Learning");
    private static readonly string ProtoPath = Path.Combine(ProjectDir, "Onnx", "Proto", "onnx_subset.proto");

    private sealed record Field(string Label, string Type, string Name, int Number, string? Oneof);
    private sealed record Message(string FullName, List<Field> Fields);
    private sealed record EnumType(string FullName, List<(string Name, int Number)> Values);

    [GeneratedRegex(@"(?<kind>message|enum|oneof)\s+(?<name>\w+)\s*\{|(?<close>\})|(?:(?<label>repeated)\s+)?(?<type>[\w.]+)\s+(?<field>\w+)\s*=\s*(?<fnum>\d+)\s*;|(?<value>\w+)\s*=\s*(?<vnum>-?\d+)\s*;")]
    private static partial Regex Token();

    /// <summary>A small reader for the proto3 subset the file uses: messages, nested messages and enums, oneofs, fields.</summary>
    private static (string Package, List<Message> Messages, List<EnumType> Enums) Parse(string text)
    {
        text = Regex.Replace(text, @"//[^\n]*", "");
        string package = Regex.Match(text, @"^\s*package\s+([\w.]+)\s*;", RegexOptions.Multiline).Groups[1].Value;
        var messages = new List<Message>();
        var enums = new List<EnumType>();
        // each open scope: its kind and, for messages and enums, its object
        var stack = new Stack<(string Kind, string Name, object? Scope)>();
        string Prefix() => string.Join('.', new[] { package }.Concat(stack.Reverse().Where(s => s.Kind == "message").Select(s => s.Name)));
        Message Enclosing() => (Message)stack.First(s => s.Kind == "message").Scope!;
        foreach (Match m in Token().Matches(text))
        {
            if (m.Groups["kind"].Success)
            {
                string kind = m.Groups["kind"].Value, name = m.Groups["name"].Value;
                object? scope = kind switch
                {
                    "message" => new Message($"{Prefix()}.{name}", []),
                    "enum" => new EnumType($"{Prefix()}.{name}", []),
                    _ => null,
                };
                if (scope is Message msg) messages.Add(msg);
                if (scope is EnumType en) enums.Add(en);
                stack.Push((kind, name, scope));
            }
            else if (m.Groups["close"].Success) stack.Pop();
            else if (m.Groups["field"].Success)
            {
                string? oneof = stack.Peek().Kind == "oneof" ? stack.Peek().Name : null;
                Enclosing().Fields.Add(new Field(m.Groups["label"].Value, m.Groups["type"].Value, m.Groups["field"].Value,
                    int.Parse(m.Groups["fnum"].Value, System.Globalization.CultureInfo.InvariantCulture), oneof));
            }
            else if (m.Groups["value"].Success)
                ((EnumType)stack.Peek().Scope!).Values.Add((m.Groups["value"].Value, int.Parse(m.Groups["vnum"].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }
        Assert.Empty(stack);
        return (package, messages, enums);
    }

    private static IEnumerable<MessageDescriptor> AllMessages(IEnumerable<MessageDescriptor> top) =>
        top.SelectMany(m => new[] { m }.Concat(AllMessages(m.NestedTypes)));

    private static readonly Dictionary<string, FieldType> Scalars = new()
    {
        ["string"] = FieldType.String, ["bytes"] = FieldType.Bytes, ["float"] = FieldType.Float, ["double"] = FieldType.Double,
        ["int32"] = FieldType.Int32, ["int64"] = FieldType.Int64, ["uint32"] = FieldType.UInt32, ["uint64"] = FieldType.UInt64,
        ["bool"] = FieldType.Bool,
    };

    [Fact]
    public void Compiled_descriptors_match_every_message_field_and_enum_value_of_the_proto()
    {
        Assert.True(File.Exists(ProtoPath), $"the .proto is in the repository: {ProtoPath}");
        var (package, messages, enums) = Parse(File.ReadAllText(ProtoPath));
        var file = OnnxSubsetReflection.Descriptor;
        Assert.EndsWith("onnx_subset.proto", file.Name, StringComparison.Ordinal);
        Assert.Equal(package, file.Package);
        Assert.True(messages.Count >= 10 && enums.Count >= 2, $"the reader found {messages.Count} messages and {enums.Count} enums");

        var compiled = AllMessages(file.MessageTypes).ToList();
        Assert.Equal(messages.Select(m => m.FullName).Order(), compiled.Select(m => m.FullName).Order());
        foreach (var msg in messages)
        {
            var d = compiled.Single(c => c.FullName == msg.FullName);
            Assert.Equal(msg.Fields.Count, d.Fields.InDeclarationOrder().Count);
            foreach (var f in msg.Fields)
            {
                var c = d.FindFieldByNumber(f.Number);
                if (c is null) Assert.Fail($"{msg.FullName}.{f.Name} = {f.Number} is in the .proto but not compiled");
                Assert.Equal(f.Name, c.Name);
                Assert.Equal(f.Label == "repeated", c.IsRepeated);
                Assert.Equal(f.Oneof, c.RealContainingOneof?.Name);
                if (Scalars.TryGetValue(f.Type, out var scalar)) Assert.Equal(scalar, c.FieldType);
                else if (c.FieldType == FieldType.Enum) Assert.EndsWith("." + f.Type, "." + c.EnumType.FullName, StringComparison.Ordinal);
                else
                {
                    Assert.Equal(FieldType.Message, c.FieldType);
                    Assert.EndsWith("." + f.Type, "." + c.MessageType.FullName, StringComparison.Ordinal);
                }
            }
        }
        var compiledEnums = compiled.SelectMany(m => m.EnumTypes).Concat(file.EnumTypes).ToList();
        Assert.Equal(enums.Select(e => e.FullName).Order(), compiledEnums.Select(e => e.FullName).Order());
        foreach (var en in enums)
        {
            var d = compiledEnums.Single(c => c.FullName == en.FullName);
            Assert.Equal(en.Values, d.Values.Select(v => (v.Name, v.Number)).ToList());
        }
    }

    [Fact]
    public void No_generated_csharp_for_the_proto_is_checked_in()
    {
        Assert.True(Directory.Exists(ProjectDir), ProjectDir);
        string bin = Path.Combine(ProjectDir, "bin") + Path.DirectorySeparatorChar, obj = Path.Combine(ProjectDir, "obj") + Path.DirectorySeparatorChar;
        var generated = Directory.EnumerateFiles(ProjectDir, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(bin, StringComparison.Ordinal) && !p.StartsWith(obj, StringComparison.Ordinal))
            .Where(p => p.EndsWith(".g.cs", StringComparison.Ordinal) || File.ReadAllText(p).Contains("Generated by the protocol buffer compiler", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(generated);
    }
}
