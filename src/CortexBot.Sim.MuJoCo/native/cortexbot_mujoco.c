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
