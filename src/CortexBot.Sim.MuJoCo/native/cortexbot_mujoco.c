// CortexBot MuJoCo shim: a tiny flat C API over mjModel/mjData so C# never mirrors their layouts.
// Built by CortexBot.Sim.MuJoCo.csproj:  gcc -O2 -shared -fPIC cortexbot_mujoco.c -lmujoco -o libcortexbot_mujoco.so
//
// MuJoCo's default error handler prints and calls exit(); here errors raised inside the calls below are turned
// into return codes (setjmp/longjmp) with the message kept per thread, and warnings are counted, not printed.
// One handle owns one mjModel and one mjData. A handle must be used from one thread at a time.

#include <mujoco/mujoco.h>

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define CBM_API __attribute__((visibility("default")))
#else
#define CBM_API
#endif

#define CBM_MSG_LEN 1024

typedef struct cbm_handle {
  mjModel* m;
  mjData* d;
  int* comp_dofs;     // dofs that get qfrc_applied = qfrc_bias + comp_ff on every substep
  double* comp_ff;    // caller-written extra generalized force per compensated dof (e.g. damping feed-forward)
  int ncomp;
} cbm_handle;

static __thread jmp_buf* cbm_jmp = NULL;
static __thread char cbm_last_error[CBM_MSG_LEN];
static __thread char cbm_last_warning[CBM_MSG_LEN];
static __thread long cbm_warnings = 0;

static void cbm_copy(char* dst, int cap, const char* src) {
  if (!dst || cap <= 0) return;
  if (!src) src = "";
  strncpy(dst, src, (size_t)cap - 1);
  dst[cap - 1] = 0;
}

static void cbm_on_error(const char* msg) {
  cbm_copy(cbm_last_error, CBM_MSG_LEN, msg);
  if (cbm_jmp) longjmp(*cbm_jmp, 1);
  // no guard installed: MuJoCo requires the handler not to return
  fprintf(stderr, "MuJoCo fatal error outside a guarded call: %s\n", msg);
  abort();
}

static void cbm_on_warning(const char* msg) {
  cbm_copy(cbm_last_warning, CBM_MSG_LEN, msg);
  cbm_warnings++;
}

static void cbm_install_handlers(void) {
  mju_user_error = cbm_on_error;
  mju_user_warning = cbm_on_warning;
}

// Run `body` with MuJoCo errors turned into `return -1` (the mjData stack mark is restored, as the
// aborted call never popped what it pushed; the caller should reset the data after an error).
#define CBM_GUARDED(body)                 \
  do {                                    \
    jmp_buf cbm_env;                      \
    jmp_buf* cbm_prev = cbm_jmp;          \
    const int cbm_pstack = h->d->pstack;  \
    if (setjmp(cbm_env) != 0) {           \
      cbm_jmp = cbm_prev;                 \
      h->d->pstack = cbm_pstack;          \
      return -1;                          \
    }                                     \
    cbm_jmp = &cbm_env;                   \
    body;                                 \
    cbm_jmp = cbm_prev;                   \
  } while (0)

// ------------------------------------------------------------------ lifecycle

CBM_API int cbm_version(void) { return mj_version(); }

CBM_API const char* cbm_last_error_text(void) { return cbm_last_error; }
CBM_API const char* cbm_last_warning_text(void) { return cbm_last_warning; }
CBM_API long cbm_warning_count(void) { return cbm_warnings; }

// Load an MJCF file. Returns a handle, or NULL with the reason in `error` (NUL-terminated, at most `error_len` bytes).
CBM_API cbm_handle* cbm_load(const char* path, char* error, int error_len) {
  cbm_install_handlers();
  if (error && error_len > 0) error[0] = 0;
  char err[CBM_MSG_LEN];
  err[0] = 0;
  mjModel* volatile m = NULL;
  mjData* volatile d = NULL;
  jmp_buf env;
  jmp_buf* prev = cbm_jmp;
  if (setjmp(env) != 0) {
    cbm_jmp = prev;
    if (d) mj_deleteData(d);
    if (m) mj_deleteModel(m);
    cbm_copy(error, error_len, cbm_last_error[0] ? cbm_last_error : "MuJoCo error while loading");
    return NULL;
  }
  cbm_jmp = &env;
  m = mj_loadXML(path, NULL, err, CBM_MSG_LEN);
  if (!m) {
    cbm_jmp = prev;
    cbm_copy(error, error_len, err[0] ? err : "mj_loadXML failed");
    return NULL;
  }
  d = mj_makeData(m);
  cbm_jmp = prev;
  if (!d) {
    mj_deleteModel(m);
    cbm_copy(error, error_len, "mj_makeData failed");
    return NULL;
  }
  cbm_handle* h = (cbm_handle*)calloc(1, sizeof(cbm_handle));
  if (!h) {
    mj_deleteData(d);
    mj_deleteModel(m);
    cbm_copy(error, error_len, "out of memory");
    return NULL;
  }
  h->m = m;
  h->d = d;
  if (err[0] && error && error_len > 0) cbm_copy(error, error_len, err);  // compiler warning text, if any
  return h;
}

CBM_API void cbm_free(cbm_handle* h) {
  if (!h) return;
  if (h->d) mj_deleteData(h->d);
  if (h->m) mj_deleteModel(h->m);
  free(h->comp_dofs);
  free(h->comp_ff);
  free(h);
}

// ------------------------------------------------------------------ simulation

CBM_API int cbm_reset(cbm_handle* h) {
  CBM_GUARDED(mj_resetData(h->m, h->d));
  return 0;
}

// Reset to keyframe `key` (qpos, qvel, ctrl, time from the keyframe). Returns -1 on a bad index.
CBM_API int cbm_reset_keyframe(cbm_handle* h, int key) {
  if (key < 0 || key >= h->m->nkey) return -1;
  CBM_GUARDED(mj_resetDataKeyframe(h->m, h->d, key));
  return 0;
}

CBM_API int cbm_forward(cbm_handle* h) {
  CBM_GUARDED(mj_forward(h->m, h->d));
  return 0;
}

// Plain mj_step `n` times (qfrc_applied as set by the caller).
CBM_API int cbm_step(cbm_handle* h, int n) {
  CBM_GUARDED(for (int i = 0; i < n; i++) mj_step(h->m, h->d));
  return 0;
}

// Dofs that cbm_step_compensated drives with qfrc_applied = qfrc_bias + feed-forward; the feed-forward array
// (one double per dof, zeroed here) is at cbm_compensation_feedforward. Returns -1 on a bad dof index.
CBM_API int cbm_set_compensated_dofs(cbm_handle* h, const int* dofs, int n) {
  if (n < 0) return -1;
  for (int i = 0; i < n; i++)
    if (dofs[i] < 0 || dofs[i] >= h->m->nv) return -1;
  int* copy = NULL;
  double* ff = NULL;
  if (n > 0) {
    copy = (int*)malloc(sizeof(int) * (size_t)n);
    ff = (double*)calloc((size_t)n, sizeof(double));
    if (!copy || !ff) {
      free(copy);
      free(ff);
      return -1;
    }
    memcpy(copy, dofs, sizeof(int) * (size_t)n);
  }
  free(h->comp_dofs);
  free(h->comp_ff);
  h->comp_dofs = copy;
  h->comp_ff = ff;
  h->ncomp = n;
  return 0;
}

CBM_API double* cbm_compensation_feedforward(cbm_handle* h) { return h->comp_ff; }

// `n` substeps, each split as mj_step1 (positions, velocities, qfrc_bias at the current state),
// qfrc_applied[dof] = qfrc_bias[dof] + feedforward for the compensated dofs, then mj_step2 (forces, integration).
// This is exact gravity/Coriolis compensation at every substep, as a real arm's drive firmware provides.
CBM_API int cbm_step_compensated(cbm_handle* h, int n) {
  mjModel* m = h->m;
  mjData* d = h->d;
  const int* dofs = h->comp_dofs;
  const double* ff = h->comp_ff;
  const int nc = h->ncomp;
  CBM_GUARDED(
    for (int i = 0; i < n; i++) {
      mj_step1(m, d);
      for (int k = 0; k < nc; k++) d->qfrc_applied[dofs[k]] = d->qfrc_bias[dofs[k]] + ff[k];
      mj_step2(m, d);
    });
  return 0;
}

// Positions-only kinematics (xpos, xquat, site_xpos, site_xmat) for the current qpos.
CBM_API int cbm_kinematics(cbm_handle* h) {
  CBM_GUARDED(mj_kinematics(h->m, h->d));
  return 0;
}

CBM_API double cbm_get_timestep(cbm_handle* h) { return h->m->opt.timestep; }
CBM_API void cbm_set_timestep(cbm_handle* h, double dt) { h->m->opt.timestep = dt; }
CBM_API double cbm_get_time(cbm_handle* h) { return h->d->time; }
CBM_API void cbm_set_time(cbm_handle* h, double t) { h->d->time = t; }

// Count of MuJoCo warnings raised in mjData (e.g. instability resets) since the last reset.
CBM_API int cbm_data_warnings(cbm_handle* h) {
  int total = 0;
  for (int i = 0; i < mjNWARNING; i++) total += h->d->warning[i].number;
  return total;
}

// ------------------------------------------------------------------ model info

CBM_API int cbm_nq(cbm_handle* h) { return h->m->nq; }
CBM_API int cbm_nv(cbm_handle* h) { return h->m->nv; }
CBM_API int cbm_nu(cbm_handle* h) { return h->m->nu; }
CBM_API int cbm_nbody(cbm_handle* h) { return h->m->nbody; }
CBM_API int cbm_njnt(cbm_handle* h) { return h->m->njnt; }
CBM_API int cbm_nsite(cbm_handle* h) { return h->m->nsite; }
CBM_API int cbm_nkey(cbm_handle* h) { return h->m->nkey; }

static int cbm_name2id(cbm_handle* h, int type, const char* name) { return mj_name2id(h->m, type, name); }

CBM_API int cbm_joint_id(cbm_handle* h, const char* name) { return cbm_name2id(h, mjOBJ_JOINT, name); }
CBM_API int cbm_body_id(cbm_handle* h, const char* name) { return cbm_name2id(h, mjOBJ_BODY, name); }
CBM_API int cbm_site_id(cbm_handle* h, const char* name) { return cbm_name2id(h, mjOBJ_SITE, name); }
CBM_API int cbm_actuator_id(cbm_handle* h, const char* name) { return cbm_name2id(h, mjOBJ_ACTUATOR, name); }
CBM_API int cbm_key_id(cbm_handle* h, const char* name) { return cbm_name2id(h, mjOBJ_KEY, name); }
CBM_API int cbm_numeric_id(cbm_handle* h, const char* name) { return cbm_name2id(h, mjOBJ_NUMERIC, name); }

CBM_API int cbm_jnt_type(cbm_handle* h, int j) { return (j >= 0 && j < h->m->njnt) ? h->m->jnt_type[j] : -1; }
CBM_API int cbm_jnt_qposadr(cbm_handle* h, int j) { return (j >= 0 && j < h->m->njnt) ? h->m->jnt_qposadr[j] : -1; }
CBM_API int cbm_jnt_dofadr(cbm_handle* h, int j) { return (j >= 0 && j < h->m->njnt) ? h->m->jnt_dofadr[j] : -1; }
CBM_API int cbm_body_jntadr(cbm_handle* h, int b) { return (b >= 0 && b < h->m->nbody) ? h->m->body_jntadr[b] : -1; }
CBM_API int cbm_body_jntnum(cbm_handle* h, int b) { return (b >= 0 && b < h->m->nbody) ? h->m->body_jntnum[b] : 0; }
CBM_API double cbm_dof_damping(cbm_handle* h, int dof) { return (dof >= 0 && dof < h->m->nv) ? h->m->dof_damping[dof] : 0; }
CBM_API int cbm_jnt_limited(cbm_handle* h, int j) { return (j >= 0 && j < h->m->njnt) ? h->m->jnt_limited[j] : 0; }

// Actuator transmission target (joint id for joint actuators) and control range; ctrllimited as return value.
CBM_API int cbm_actuator_joint(cbm_handle* h, int a) {
  return (a >= 0 && a < h->m->nu) ? h->m->actuator_trnid[2 * a] : -1;
}
CBM_API int cbm_actuator_ctrlrange(cbm_handle* h, int a, double* lo, double* hi) {
  if (a < 0 || a >= h->m->nu) return -1;
  *lo = h->m->actuator_ctrlrange[2 * a];
  *hi = h->m->actuator_ctrlrange[2 * a + 1];
  return h->m->actuator_ctrllimited[a];
}

// Custom numeric: copies up to `cap` values, returns the field's size (or -1 when the name is unknown).
CBM_API int cbm_numeric(cbm_handle* h, const char* name, double* out, int cap) {
  int id = mj_name2id(h->m, mjOBJ_NUMERIC, name);
  if (id < 0) return -1;
  int size = h->m->numeric_size[id];
  const mjtNum* src = h->m->numeric_data + h->m->numeric_adr[id];
  for (int i = 0; i < size && i < cap; i++) out[i] = src[i];
  return size;
}

// ------------------------------------------------------------------ field pointers (valid until cbm_free)

CBM_API double* cbm_qpos(cbm_handle* h) { return h->d->qpos; }
CBM_API double* cbm_qvel(cbm_handle* h) { return h->d->qvel; }
CBM_API double* cbm_ctrl(cbm_handle* h) { return h->d->ctrl; }
CBM_API double* cbm_qfrc_applied(cbm_handle* h) { return h->d->qfrc_applied; }
CBM_API double* cbm_qfrc_bias(cbm_handle* h) { return h->d->qfrc_bias; }
CBM_API double* cbm_qfrc_actuator(cbm_handle* h) { return h->d->qfrc_actuator; }
CBM_API double* cbm_xpos(cbm_handle* h) { return h->d->xpos; }          // nbody x 3
CBM_API double* cbm_xquat(cbm_handle* h) { return h->d->xquat; }        // nbody x 4
CBM_API double* cbm_site_xpos(cbm_handle* h) { return h->d->site_xpos; } // nsite x 3
CBM_API double* cbm_site_xmat(cbm_handle* h) { return h->d->site_xmat; } // nsite x 9
CBM_API double* cbm_jnt_range(cbm_handle* h) { return h->m->jnt_range; } // njnt x 2
CBM_API double* cbm_key_qpos(cbm_handle* h) { return h->m->key_qpos; }   // nkey x nq
CBM_API double* cbm_key_ctrl(cbm_handle* h) { return h->m->key_ctrl; }   // nkey x nu
CBM_API int cbm_ncon(cbm_handle* h) { return h->d->ncon; }

/* Equality constraints, for fault injection: switch one on or off and set its first polynomial coefficient
   (a one-joint constraint holds q - qpos0 = polycoef[0]). */
CBM_API int cbm_equality_id(cbm_handle* h, const char* name) { return cbm_name2id(h, mjOBJ_EQUALITY, name); }
CBM_API int cbm_set_equality(cbm_handle* h, int eq, int active, double coef0) {
    if (eq < 0 || eq >= h->m->neq) return -1;
    h->m->eq_data[eq * mjNEQDATA] = coef0;
    h->m->eq_active[eq] = (mjtByte)(active != 0);
    return 0;
}
CBM_API double cbm_qpos0(cbm_handle* h, int adr) { return (adr >= 0 && adr < h->m->nq) ? h->m->qpos0[adr] : 0; }

/* Physical properties of one object, for perturbation scenarios (a heavier or more slippery cube than the scene file
   says). Friction goes with a contact priority: with equal priorities MuJoCo takes the larger friction of the two geoms,
   so a slippery object must outrank the gripper pads for its own friction to apply. Mass changes scale the inertia
   with it (same shape, denser material). */
CBM_API int cbm_geom_id(cbm_handle* h, const char* name) { return cbm_name2id(h, mjOBJ_GEOM, name); }
CBM_API int cbm_geom_friction(cbm_handle* h, int geom, double* out3, int* priority) {
    if (geom < 0 || geom >= h->m->ngeom) return -1;
    for (int k = 0; k < 3; k++) out3[k] = h->m->geom_friction[3 * geom + k];
    *priority = h->m->geom_priority[geom];
    return 0;
}
CBM_API int cbm_set_geom_friction(cbm_handle* h, int geom, const double* friction3, int priority) {
    if (geom < 0 || geom >= h->m->ngeom) return -1;
    for (int k = 0; k < 3; k++) h->m->geom_friction[3 * geom + k] = friction3[k];
    h->m->geom_priority[geom] = priority;
    return 0;
}
CBM_API double cbm_body_mass(cbm_handle* h, int body) { return (body >= 0 && body < h->m->nbody) ? h->m->body_mass[body] : -1; }
CBM_API int cbm_set_body_mass(cbm_handle* h, int body, double mass) {
    if (body <= 0 || body >= h->m->nbody || !(mass > 0)) return -1;
    double scale = mass / h->m->body_mass[body];
    h->m->body_mass[body] = mass;
    for (int k = 0; k < 3; k++) h->m->body_inertia[3 * body + k] *= scale;
    return 0;
}

/* What a scene is made of, for discovering its objects and containers from the compiled model (defaults and classes
   resolved by MuJoCo): body names and tree, each body's geoms with their type, size, position in the body frame and
   colour (the material's when the geom has one, as the renderer draws it). */
CBM_API const char* cbm_body_name(cbm_handle* h, int b) {
    if (b < 0 || b >= h->m->nbody) return NULL;
    return mj_id2name(h->m, mjOBJ_BODY, b);
}
CBM_API int cbm_body_parentid(cbm_handle* h, int b) { return (b >= 0 && b < h->m->nbody) ? h->m->body_parentid[b] : -1; }
CBM_API int cbm_body_geomadr(cbm_handle* h, int b) { return (b >= 0 && b < h->m->nbody) ? h->m->body_geomadr[b] : -1; }
CBM_API int cbm_body_geomnum(cbm_handle* h, int b) { return (b >= 0 && b < h->m->nbody) ? h->m->body_geomnum[b] : 0; }
CBM_API int cbm_geom_type(cbm_handle* h, int g) { return (g >= 0 && g < h->m->ngeom) ? h->m->geom_type[g] : -1; }
CBM_API int cbm_geom_frame(cbm_handle* h, int g, double* size3, double* pos3, double* quat4) {
    if (g < 0 || g >= h->m->ngeom) return -1;
    for (int k = 0; k < 3; k++) { size3[k] = h->m->geom_size[3 * g + k]; pos3[k] = h->m->geom_pos[3 * g + k]; }
    for (int k = 0; k < 4; k++) quat4[k] = h->m->geom_quat[4 * g + k];
    return 0;
}
CBM_API int cbm_geom_rgba(cbm_handle* h, int g, float* rgba4) {
    if (g < 0 || g >= h->m->ngeom) return -1;
    int mat = h->m->geom_matid[g];
    const float* src = mat >= 0 ? h->m->mat_rgba + 4 * mat : h->m->geom_rgba + 4 * g;
    for (int k = 0; k < 4; k++) rgba4[k] = src[k];
    return 0;
}

// ------------------------------------------------------------------ headless camera rendering (EGL, surfaceless)
//
// A renderer owns its own handle (model + data loaded from the same MJCF) so it never touches the control thread's
// mjData: the caller copies a published qpos in, the renderer runs kinematics on its own data and draws.
// EGL is opened with dlopen so that the simulator itself keeps working on machines without any GL; a renderer then
// fails to create with a message naming what is missing. The GL context is current on the creating thread only:
// create, render and free a renderer on one thread.

#include <dlfcn.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>

typedef EGLDisplay (*cbm_egl_get_platform_display)(EGLenum, void*, const EGLAttrib*);
typedef EGLBoolean (*cbm_egl_initialize)(EGLDisplay, EGLint*, EGLint*);
typedef EGLBoolean (*cbm_egl_bind_api)(EGLenum);
typedef EGLContext (*cbm_egl_create_context)(EGLDisplay, EGLConfig, EGLContext, const EGLint*);
typedef EGLBoolean (*cbm_egl_make_current)(EGLDisplay, EGLSurface, EGLSurface, EGLContext);
typedef EGLBoolean (*cbm_egl_destroy_context)(EGLDisplay, EGLContext);
typedef EGLBoolean (*cbm_egl_terminate)(EGLDisplay);
typedef EGLint (*cbm_egl_get_error)(void);
typedef const char* (*cbm_egl_query_string)(EGLDisplay, EGLint);

typedef struct cbm_renderer {
  cbm_handle* h;
  void* egl_lib;
  EGLDisplay dpy;
  EGLContext ctx;
  cbm_egl_make_current make_current;
  cbm_egl_destroy_context destroy_context;
  cbm_egl_terminate terminate;
  mjvScene scn;
  mjrContext con;
  mjvOption opt;
  mjvCamera cam;
  int width, height;
  int scene_made, context_made;
} cbm_renderer;

CBM_API void cbm_renderer_free(cbm_renderer* r);

static cbm_renderer* cbm_renderer_fail(cbm_renderer* r, char* error, int error_len, const char* msg) {
  cbm_copy(error, error_len, msg);
  cbm_renderer_free(r);
  return NULL;
}

// MuJoCo scene and GL resources for a current context; -1 when MuJoCo raised an error (message in cbm_last_error).
static int cbm_renderer_setup(cbm_renderer* r, int cam) {
  mjModel* m = r->h->m;
  jmp_buf env;
  jmp_buf* prev = cbm_jmp;
  if (setjmp(env) != 0) {
    cbm_jmp = prev;
    return -1;
  }
  cbm_jmp = &env;
  mjv_defaultOption(&r->opt);
  mjv_defaultCamera(&r->cam);
  r->cam.type = mjCAMERA_FIXED;
  r->cam.fixedcamid = cam;
  mjv_defaultScene(&r->scn);
  mjr_defaultContext(&r->con);
  mjv_makeScene(m, &r->scn, 1000);
  r->scene_made = 1;
  mjr_makeContext(m, &r->con, mjFONTSCALE_100);
  r->context_made = 1;
  mjr_setBuffer(mjFB_OFFSCREEN, &r->con);
  cbm_jmp = prev;
  return 0;
}

// Creates an offscreen renderer for `width` x `height` frames of the scene at `path`, drawn from the camera named
// `camera`. `egl_library` is the EGL library to open (normally "libEGL.so.1"). Returns NULL with the reason in `error`.
CBM_API cbm_renderer* cbm_renderer_create(const char* path, const char* egl_library, const char* camera, int width,
                                          int height, char* error, int error_len) {
  char msg[CBM_MSG_LEN];
  if (error && error_len > 0) error[0] = 0;
  cbm_renderer* r = (cbm_renderer*)calloc(1, sizeof(cbm_renderer));
  if (!r) return cbm_renderer_fail(NULL, error, error_len, "out of memory");
  r->dpy = EGL_NO_DISPLAY;
  r->ctx = EGL_NO_CONTEXT;
  r->h = cbm_load(path, msg, CBM_MSG_LEN);
  if (!r->h) return cbm_renderer_fail(r, error, error_len, msg);
  mjModel* m = r->h->m;
  int cam = mj_name2id(m, mjOBJ_CAMERA, camera);
  if (cam < 0) {
    snprintf(msg, sizeof msg, "the scene has no camera named '%s'", camera);
    return cbm_renderer_fail(r, error, error_len, msg);
  }
  if (width <= 0 || height <= 0 || width > m->vis.global.offwidth || height > m->vis.global.offheight) {
    snprintf(msg, sizeof msg, "frame size %dx%d is outside the scene's offscreen buffer (1..%d x 1..%d; <visual><global offwidth offheight>)",
             width, height, m->vis.global.offwidth, m->vis.global.offheight);
    return cbm_renderer_fail(r, error, error_len, msg);
  }
  r->width = width;
  r->height = height;

  r->egl_lib = dlopen(egl_library, RTLD_NOW | RTLD_LOCAL);
  if (!r->egl_lib) {
    snprintf(msg, sizeof msg, "no GL available: cannot open %s (%s); install it with: sudo apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri", egl_library, dlerror());
    return cbm_renderer_fail(r, error, error_len, msg);
  }
  cbm_egl_get_platform_display get_display = (cbm_egl_get_platform_display)dlsym(r->egl_lib, "eglGetPlatformDisplay");
  cbm_egl_initialize initialize = (cbm_egl_initialize)dlsym(r->egl_lib, "eglInitialize");
  cbm_egl_bind_api bind_api = (cbm_egl_bind_api)dlsym(r->egl_lib, "eglBindAPI");
  cbm_egl_create_context create_context = (cbm_egl_create_context)dlsym(r->egl_lib, "eglCreateContext");
  cbm_egl_get_error get_error = (cbm_egl_get_error)dlsym(r->egl_lib, "eglGetError");
  cbm_egl_query_string query_string = (cbm_egl_query_string)dlsym(r->egl_lib, "eglQueryString");
  r->make_current = (cbm_egl_make_current)dlsym(r->egl_lib, "eglMakeCurrent");
  r->destroy_context = (cbm_egl_destroy_context)dlsym(r->egl_lib, "eglDestroyContext");
  r->terminate = (cbm_egl_terminate)dlsym(r->egl_lib, "eglTerminate");
  if (!get_display || !initialize || !bind_api || !create_context || !get_error || !query_string || !r->make_current ||
      !r->destroy_context || !r->terminate) {
    snprintf(msg, sizeof msg, "no GL available: %s lacks EGL 1.5 entry points", egl_library);
    return cbm_renderer_fail(r, error, error_len, msg);
  }
  // surfaceless: no X server, no window, no GPU needed (Mesa renders with llvmpipe)
  r->dpy = get_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
  EGLint major = 0, minor = 0;
  if (r->dpy == EGL_NO_DISPLAY || !initialize(r->dpy, &major, &minor)) {
    r->dpy = EGL_NO_DISPLAY;
    snprintf(msg, sizeof msg, "no GL available: EGL has no surfaceless display (EGL error 0x%x); install it with: sudo apt-get install libegl-mesa0 libgl1-mesa-dri", get_error());
    return cbm_renderer_fail(r, error, error_len, msg);
  }
  const char* ext = query_string(r->dpy, EGL_EXTENSIONS);
  if (!ext || !strstr(ext, "EGL_KHR_no_config_context") || !strstr(ext, "EGL_KHR_surfaceless_context")) {
    snprintf(msg, sizeof msg, "no GL available: EGL %d.%d lacks EGL_KHR_no_config_context or EGL_KHR_surfaceless_context", major, minor);
    return cbm_renderer_fail(r, error, error_len, msg);
  }
  if (!bind_api(EGL_OPENGL_API)) {
    snprintf(msg, sizeof msg, "no GL available: EGL cannot bind desktop OpenGL (EGL error 0x%x)", get_error());
    return cbm_renderer_fail(r, error, error_len, msg);
  }
  // MuJoCo's renderer uses the fixed-function pipeline: ask for a compatibility context (the default profile)
  r->ctx = create_context(r->dpy, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, NULL);
  if (r->ctx == EGL_NO_CONTEXT) {
    snprintf(msg, sizeof msg, "no GL available: eglCreateContext failed (EGL error 0x%x)", get_error());
    return cbm_renderer_fail(r, error, error_len, msg);
  }
  if (!r->make_current(r->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, r->ctx)) {
    snprintf(msg, sizeof msg, "no GL available: eglMakeCurrent failed (EGL error 0x%x)", get_error());
    return cbm_renderer_fail(r, error, error_len, msg);
  }

  if (cbm_renderer_setup(r, cam) != 0) {
    snprintf(msg, sizeof msg, "MuJoCo could not set up rendering: %.900s", cbm_last_error);
    return cbm_renderer_fail(r, error, error_len, msg);
  }
  if (r->con.currentBuffer != mjFB_OFFSCREEN) return cbm_renderer_fail(r, error, error_len, "MuJoCo has no offscreen framebuffer in this GL context");
  return r;
}

CBM_API int cbm_renderer_nq(cbm_renderer* r) { return r->h->m->nq; }

// Draws the scene at `qpos` (nq values) and writes width*height*3 bytes of RGB, top row first, to `rgb`.
CBM_API int cbm_renderer_render(cbm_renderer* r, const double* qpos, unsigned char* rgb) {
  cbm_handle* h = r->h;
  mjModel* m = h->m;
  mjData* d = h->d;
  memcpy(d->qpos, qpos, sizeof(double) * (size_t)m->nq);
  mju_zero(d->qvel, m->nv);
  const int w = r->width, ht = r->height;
  mjrRect viewport = {0, 0, w, ht};
  CBM_GUARDED(
    mj_kinematics(m, d);
    mj_comPos(m, d);
    mj_camlight(m, d);
    mjv_updateScene(m, d, &r->opt, NULL, &r->cam, mjCAT_ALL, &r->scn);
    mjr_render(viewport, &r->scn, &r->con);
    mjr_readPixels(rgb, NULL, viewport, &r->con));
  // OpenGL reads bottom row first
  const size_t row = (size_t)w * 3;
  unsigned char* tmp = (unsigned char*)malloc(row);
  if (!tmp) return -1;
  for (int y = 0; y < ht / 2; y++) {
    unsigned char* a = rgb + (size_t)y * row;
    unsigned char* b = rgb + (size_t)(ht - 1 - y) * row;
    memcpy(tmp, a, row);
    memcpy(a, b, row);
    memcpy(b, tmp, row);
  }
  free(tmp);
  return 0;
}

CBM_API void cbm_renderer_free(cbm_renderer* r) {
  if (!r) return;
  if (r->context_made) mjr_freeContext(&r->con);
  if (r->scene_made) mjv_freeScene(&r->scn);
  if (r->dpy != EGL_NO_DISPLAY) {
    if (r->make_current) r->make_current(r->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    if (r->ctx != EGL_NO_CONTEXT && r->destroy_context) r->destroy_context(r->dpy, r->ctx);
    if (r->terminate) r->terminate(r->dpy);
  }
  if (r->egl_lib) dlclose(r->egl_lib);
  if (r->h) cbm_free(r->h);
  free(r);
}
