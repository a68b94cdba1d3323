using CortexBot.Cerebellum.Learning.Onnx.Proto;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using Google.Protobuf;
using static CortexBot.Cerebellum.Learning.PolicyGraph;
using static TorchSharp.torch;

namespace CortexBot.Cerebellum.Training;

/// <summary>
/// Writes the trained flow policy as one ONNX graph (opset 18, IR 8) with the Euler integration unrolled:
/// inputs <c>observation</c> [N, O] (raw units) and <c>noise</c> [N, H·A]; output <c>actions</c> [N, H, A] (raw units).
/// The graph normalises the observation, projects it through the first layer's observation columns once, then runs
/// the velocity MLP for each flow step (the time features of step k folded into that step's first-layer bias), and
/// denormalises the chunk and adds the anchor joints (the network predicts joint targets relative to the last commanded or the measured joints). Built with the protobuf subset of onnx.proto that the runtime project compiles at build; no Python.
/// </summary>
public static class OnnxPolicyExporter
{
    public const int Opset = 18;
    public const long IrVersion = 8;

    public static void Export(FlowMatchingTrainer trainer, string path)
    {
        var model = Build(trainer);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using (var f = File.Create(path)) model.WriteTo(f);
        trainer.Manifest(Path.GetFileName(path)).Save(PolicyManifest.PathFor(path));
    }

    public static ModelProto Build(FlowMatchingTrainer trainer)
    {
        var net = trainer.Net;
        int o = net.ObservationSize, c = net.ChunkSize, h = trainer.Options.Horizon, a = c / h, steps = trainer.Options.FlowSteps;
        var g = new GraphProto { Name = "cortexbot_flow_policy" };
        g.Input.Add(Value(ObservationInput, "N", o));
        g.Input.Add(Value(NoiseInput, "N", c));
        g.Output.Add(Value(ActionsOutput, "N", h, a));

        var layers = net.Layers;
        float[] W(int i) => layers[i].weight!.detach().contiguous().data<float>().ToArray(); // [out, in]
        float[] B(int i) => layers[i].bias!.detach().contiguous().data<float>().ToArray();
        int h1 = (int)layers[0].weight!.shape[0];
        int in1 = (int)layers[0].weight!.shape[1];
        var w1 = W(0);
        var b1 = B(0);

        // First layer split into observation, chunk and time columns, transposed to [in, out] for MatMul.
        g.Initializer.Add(Tensor("W1_obs", Columns(w1, h1, in1, 0, o), o, h1));
        g.Initializer.Add(Tensor("W1_x", Columns(w1, h1, in1, o, c), c, h1));
        for (int i = 1; i < layers.Count; i++)
        {
            int outF = (int)layers[i].weight!.shape[0], inF = (int)layers[i].weight!.shape[1];
            g.Initializer.Add(Tensor($"W{i + 1}", Columns(W(i), outF, inF, 0, inF), inF, outF));
            g.Initializer.Add(Tensor($"b{i + 1}", B(i), outF));
        }
        g.Initializer.Add(Tensor("obs_mean", trainer.ObsMean, o));
        g.Initializer.Add(Tensor("obs_std", trainer.ObsStd, o));
        var am = new float[c];
        var asd = new float[c];
        for (int j = 0; j < c; j++) { am[j] = trainer.ActMean[j % a]; asd[j] = trainer.ActStd[j % a]; }
        g.Initializer.Add(Tensor("act_mean", am, c));
        g.Initializer.Add(Tensor("act_std", asd, c));
        // Selection matrix [O, C]: adds the anchor joints (measured or last commanded) to each setpoint's joint entries (relative actions).
        var select = new float[o * c];
        for (int j = 0; j < h; j++)
            for (int k = 0; k < PolicyLayout.Joints; k++)
                select[trainer.OffsetIndex[k] * c + j * a + k] = 1;
        g.Initializer.Add(Tensor("obs_to_chunk", select, o, c));
        double dt = 1.0 / steps;
        g.Initializer.Add(Tensor("dt", [(float)dt]));
        g.Initializer.Add(new TensorProto { Name = "out_shape", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 3 }, Int64Data = { -1, h, a } });
        for (int k = 0; k < steps; k++)
        {
            // Bias of step k: b1 + W1_time · features(t_k), computed in double.
            var tf = VelocityField.TimeFeatureValues(k * dt);
            var bk = new float[h1];
            for (int r = 0; r < h1; r++)
            {
                double s = b1[r];
                for (int f = 0; f < tf.Length; f++) s += (double)w1[r * in1 + o + c + f] * tf[f];
                bk[r] = (float)s;
            }
            g.Initializer.Add(Tensor($"b1_t{k}", bk, h1));
        }

        g.Node.Add(Node("Sub", [ObservationInput, "obs_mean"], ["obs_c"]));
        g.Node.Add(Node("Div", ["obs_c", "obs_std"], ["obs_n"]));
        g.Node.Add(Node("MatMul", ["obs_n", "W1_obs"], ["h_obs"]));
        string x = NoiseInput;
        for (int k = 0; k < steps; k++)
        {
            string p = $"s{k}_";
            g.Node.Add(Node("MatMul", [x, "W1_x"], [p + "hx"]));
            g.Node.Add(Node("Add", [p + "hx", "h_obs"], [p + "h1a"]));
            g.Node.Add(Node("Add", [p + "h1a", $"b1_t{k}"], [p + "h1b"]));
            g.Node.Add(Node("Relu", [p + "h1b"], [p + "h1"]));
            string hcur = p + "h1";
            for (int i = 1; i < layers.Count; i++)
            {
                g.Node.Add(Node("MatMul", [hcur, $"W{i + 1}"], [p + $"m{i + 1}"]));
                g.Node.Add(Node("Add", [p + $"m{i + 1}", $"b{i + 1}"], [p + $"z{i + 1}"]));
                if (i < layers.Count - 1)
                {
                    g.Node.Add(Node("Relu", [p + $"z{i + 1}"], [p + $"h{i + 1}"]));
                    hcur = p + $"h{i + 1}";
                }
                else hcur = p + $"z{i + 1}";
            }
            g.Node.Add(Node("Mul", [hcur, "dt"], [p + "dx"]));
            g.Node.Add(Node("Add", [x, p + "dx"], [p + "x"]));
            x = p + "x";
        }
        g.Node.Add(Node("Mul", [x, "act_std"], ["chunk_s"]));
        g.Node.Add(Node("Add", ["chunk_s", "act_mean"], ["chunk_rel"]));
        g.Node.Add(Node("MatMul", [ObservationInput, "obs_to_chunk"], ["chunk_offset"]));
        g.Node.Add(Node("Add", ["chunk_rel", "chunk_offset"], ["chunk"]));
        g.Node.Add(Node("Reshape", ["chunk", "out_shape"], [ActionsOutput]));

        var model = new ModelProto
        {
            IrVersion = IrVersion, ProducerName = "cortexbot", ProducerVersion = "1", Graph = g,
            DocString = $"flow-matching action expert: {steps} Euler steps unrolled, horizon {h}, {a} actions, {o} observations",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "cortexbot.format", Value = PolicyManifest.CurrentFormat });
        return model;
    }

    /// <summary>Columns [from, from+count) of a row-major [rows, cols] matrix, transposed to [count, rows].</summary>
    private static float[] Columns(float[] w, int rows, int cols, int from, int count)
    {
        var t = new float[count * rows];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < count; j++)
                t[j * rows + r] = w[r * cols + from + j];
        return t;
    }

    private static TensorProto Tensor(string name, float[] data, params long[] dims)
    {
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.Add(dims);
        return t;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var n = new NodeProto { OpType = op, Name = outputs[0] + "_" + op };
        n.Input.Add(inputs);
        n.Output.Add(outputs);
        return n;
    }

    private static ValueInfoProto Value(string name, string batch, params int[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
