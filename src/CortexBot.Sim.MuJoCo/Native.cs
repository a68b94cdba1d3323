using System.Runtime.InteropServices;

namespace CortexBot.Sim.MuJoCo;

/// <summary>
/// P/Invoke surface of <c>libcortexbot_mujoco.so</c> (native/cortexbot_mujoco.c): a flat API over one mjModel + mjData
/// behind an opaque handle. Field pointers stay valid until <see cref="Free"/>.
/// </summary>
internal static unsafe partial class Native
{
    public const string Library = "cortexbot_mujoco";

    // MuJoCo joint types (mjtJoint)
    public const int JointFree = 0, JointBall = 1, JointSlide = 2, JointHinge = 3;
    // MuJoCo geom types (mjtGeom)
    public const int GeomPlane = 0, GeomBox = 6;

    [LibraryImport(Library, EntryPoint = "cbm_version")] public static partial int Version();
    [LibraryImport(Library, EntryPoint = "cbm_last_error_text")] public static partial byte* LastErrorText();
    [LibraryImport(Library, EntryPoint = "cbm_warning_count")] public static partial nint WarningCount();

    [LibraryImport(Library, EntryPoint = "cbm_load", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint Load(string path, byte* error, int errorLength);
    [LibraryImport(Library, EntryPoint = "cbm_free")] public static partial void Free(nint h);

    [LibraryImport(Library, EntryPoint = "cbm_reset")] public static partial int Reset(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_reset_keyframe")] public static partial int ResetKeyframe(nint h, int key);
    [LibraryImport(Library, EntryPoint = "cbm_forward")] public static partial int Forward(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_kinematics")] public static partial int Kinematics(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_step")] public static partial int Step(nint h, int n);
    [LibraryImport(Library, EntryPoint = "cbm_set_compensated_dofs")] public static partial int SetCompensatedDofs(nint h, int* dofs, int n);
    [LibraryImport(Library, EntryPoint = "cbm_compensation_feedforward")] public static partial double* CompensationFeedForward(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_step_compensated")] public static partial int StepCompensated(nint h, int n);

    [LibraryImport(Library, EntryPoint = "cbm_get_timestep")] public static partial double GetTimestep(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_set_timestep")] public static partial void SetTimestep(nint h, double dt);
    [LibraryImport(Library, EntryPoint = "cbm_get_time")] public static partial double GetTime(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_data_warnings")] public static partial int DataWarnings(nint h);

    [LibraryImport(Library, EntryPoint = "cbm_nq")] public static partial int Nq(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_nv")] public static partial int Nv(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_nu")] public static partial int Nu(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_nbody")] public static partial int Nbody(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_njnt")] public static partial int Njnt(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_nsite")] public static partial int Nsite(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_nkey")] public static partial int Nkey(nint h);

    [LibraryImport(Library, EntryPoint = "cbm_joint_id", StringMarshalling = StringMarshalling.Utf8)] public static partial int JointId(nint h, string name);
    [LibraryImport(Library, EntryPoint = "cbm_body_id", StringMarshalling = StringMarshalling.Utf8)] public static partial int BodyId(nint h, string name);
    [LibraryImport(Library, EntryPoint = "cbm_site_id", StringMarshalling = StringMarshalling.Utf8)] public static partial int SiteId(nint h, string name);
    [LibraryImport(Library, EntryPoint = "cbm_actuator_id", StringMarshalling = StringMarshalling.Utf8)] public static partial int ActuatorId(nint h, string name);
    [LibraryImport(Library, EntryPoint = "cbm_key_id", StringMarshalling = StringMarshalling.Utf8)] public static partial int KeyId(nint h, string name);

    [LibraryImport(Library, EntryPoint = "cbm_jnt_type")] public static partial int JointType(nint h, int joint);
    [LibraryImport(Library, EntryPoint = "cbm_jnt_qposadr")] public static partial int JointQposAdr(nint h, int joint);
    [LibraryImport(Library, EntryPoint = "cbm_jnt_dofadr")] public static partial int JointDofAdr(nint h, int joint);
    [LibraryImport(Library, EntryPoint = "cbm_jnt_limited")] public static partial int JointLimited(nint h, int joint);
    [LibraryImport(Library, EntryPoint = "cbm_body_jntadr")] public static partial int BodyJointAdr(nint h, int body);
    [LibraryImport(Library, EntryPoint = "cbm_body_jntnum")] public static partial int BodyJointNum(nint h, int body);
    [LibraryImport(Library, EntryPoint = "cbm_dof_damping")] public static partial double DofDamping(nint h, int dof);
    [LibraryImport(Library, EntryPoint = "cbm_actuator_joint")] public static partial int ActuatorJoint(nint h, int actuator);
    [LibraryImport(Library, EntryPoint = "cbm_actuator_ctrlrange")] public static partial int ActuatorCtrlRange(nint h, int actuator, double* lo, double* hi);
    [LibraryImport(Library, EntryPoint = "cbm_numeric", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Numeric(nint h, string name, double* output, int capacity);

    [LibraryImport(Library, EntryPoint = "cbm_qpos")] public static partial double* Qpos(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_qvel")] public static partial double* Qvel(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_ctrl")] public static partial double* Ctrl(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_qfrc_applied")] public static partial double* QfrcApplied(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_qfrc_bias")] public static partial double* QfrcBias(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_xpos")] public static partial double* Xpos(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_xquat")] public static partial double* Xquat(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_site_xpos")] public static partial double* SiteXpos(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_site_xmat")] public static partial double* SiteXmat(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_jnt_range")] public static partial double* JointRange(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_key_qpos")] public static partial double* KeyQpos(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_ncon")] public static partial int Ncon(nint h);
    [LibraryImport(Library, EntryPoint = "cbm_equality_id", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int EqualityId(nint h, string name);
    [LibraryImport(Library, EntryPoint = "cbm_set_equality")] public static partial int SetEquality(nint h, int eq, int active, double coef0);
    [LibraryImport(Library, EntryPoint = "cbm_qpos0")] public static partial double Qpos0(nint h, int adr);
    [LibraryImport(Library, EntryPoint = "cbm_geom_id", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int GeomId(nint h, string name);
    [LibraryImport(Library, EntryPoint = "cbm_geom_friction")] public static partial int GeomFriction(nint h, int geom, double* out3, int* priority);
    [LibraryImport(Library, EntryPoint = "cbm_set_geom_friction")] public static partial int SetGeomFriction(nint h, int geom, double* friction3, int priority);
    [LibraryImport(Library, EntryPoint = "cbm_body_mass")] public static partial double BodyMass(nint h, int body);
    [LibraryImport(Library, EntryPoint = "cbm_set_body_mass")] public static partial int SetBodyMass(nint h, int body, double mass);

    [LibraryImport(Library, EntryPoint = "cbm_body_name")] public static partial byte* BodyName(nint h, int body);
    [LibraryImport(Library, EntryPoint = "cbm_body_parentid")] public static partial int BodyParentId(nint h, int body);
    [LibraryImport(Library, EntryPoint = "cbm_body_geomadr")] public static partial int BodyGeomAdr(nint h, int body);
    [LibraryImport(Library, EntryPoint = "cbm_body_geomnum")] public static partial int BodyGeomNum(nint h, int body);
    [LibraryImport(Library, EntryPoint = "cbm_geom_type")] public static partial int GeomType(nint h, int geom);
    [LibraryImport(Library, EntryPoint = "cbm_geom_frame")] public static partial int GeomFrame(nint h, int geom, double* size3, double* pos3, double* quat4);
    [LibraryImport(Library, EntryPoint = "cbm_geom_rgba")] public static partial int GeomRgba(nint h, int geom, float* rgba4);

    [LibraryImport(Library, EntryPoint = "cbm_renderer_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint RendererCreate(string path, string eglLibrary, string camera, int width, int height, byte* error, int errorLength);
    [LibraryImport(Library, EntryPoint = "cbm_renderer_nq")] public static partial int RendererNq(nint r);
    [LibraryImport(Library, EntryPoint = "cbm_renderer_render")] public static partial int RendererRender(nint r, double* qpos, byte* rgb);
    [LibraryImport(Library, EntryPoint = "cbm_renderer_free")] public static partial void RendererFree(nint r);

    public static string LastError()
    {
        var p = LastErrorText();
        return p == null ? "" : Marshal.PtrToStringUTF8((nint)p) ?? "";
    }
}
