#!/usr/bin/python3
"""Writes the measurement-file fixtures of tests/measurement/, without any pcmkit code.

  bad/*.h5, bad/manifest.tsv   one defect per file (manifest: file name <TAB> field the error must name)
  other_types_campaign.h5      a tiny valid campaign in other element types: float32, int32, a bool
                               (enum) converged flag, fixed-length string attributes, [N, T] times
  other_program_campaign.h5    a valid campaign as a third party might write it (chunked + gzip,
                               extra generator_* attributes, no /devices/converged), generated in
                               numpy from the published PCM model below

Model (IBM aihwkit PCMLikeNoiseModel; Nandakumar et al., ICECS 2019; shared/pcm-data), with
x = max(G_T/G_max, 1e-7), G_max = 25 uS, t0 = 20 s, t_read = 250 ns and xi ~ N(0, 1) independent:
  G_prog = max(0, G_T + sigma_prog xi),   sigma_prog = max(0, c0 + c1 x' + c2 x'^2), x' = G_T/G_max
  nu = |mu + sigma xi|,   mu = clip(0.0244 - 0.0155 ln x, 0.049, 0.1),
                          sigma = clip(-0.0059 - 0.0125 ln x, 0.008, 0.045)
  G_d(t) = G_prog (t/t0)^(-nu);  read G = max(0, G_d + |G_d| sigma_r xi),
  sigma_r^2 = Q^2 ln((t + t_read)/(2 t_read)),  Q = min(0.0088 x^(-0.65), 0.2)
  trace read k = max(0, G_d(t_start + k dt) (1 + n_k)), n a Gaussian process with one-sided PSD
  Q^2/f (Timmer & Koenig, A&A 300, 707 (1995), on a grid 8x longer than the trace, cut to R reads)
0.9 % of the devices of each level did not converge: G_prog = clip(G_T +/- u G_max, 0, G_max),
u ~ U(0.3, 0.6), random sign; they are not flagged.

Run: /usr/bin/python3 tests/data/make_campaign_fixtures.py   (needs python3-numpy, python3-h5py)
The outputs are committed; the same numpy version rewrites them byte for byte.
"""

import pathlib

import h5py
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
SCHEMA = "pcmkit.measurements/1"

# Published coefficients (shared/pcm-data/pcm_model_fit_parameters.json, ibm_pcm_like_noise_model).
G_MAX_US = 25.0
T0_S = 20.0
T_READ_S = 250e-9
X_FLOOR = 1e-7
PROG_C = (0.26348, 1.9650, -1.1731)
MU_NU = (0.0244, -0.0155)  # a + b ln x
MU_NU_CLIP = (0.049, 0.1)
SIGMA_NU = (-0.0059, -0.0125)
SIGMA_NU_CLIP = (0.008, 0.045)
Q_COEF, Q_EXP, Q_MAX = 0.0088, -0.65, 0.2
GAMMA = 1.0

# The campaign the brief asks for.
SEED = 20240611
LEVELS_US = np.linspace(0.0, 25.0, 11)
DEVICES_PER_LEVEL = 1000
TIMES_S = np.geomspace(25.0, 86400.0, 20)
TRACES_PER_LEVEL = 40
TRACE_READS = 512
TRACE_DT_S = 0.1
TRACE_START_S = 1000.0
OVERSAMPLE = 8
NONCONVERGED_FRACTION = 0.009
NONCONVERGED_OFFSET = (0.3, 0.6)  # times G_max


# ---------------------------------------------------------------------------------------------
# The bad-input corpus: a tiny valid campaign, then one defect per file.


def write_tiny(f):
    """A valid 3-device, 4-time campaign with noise traces; every time >= 25 s."""
    f.attrs["schema"] = SCHEMA
    f.attrs["g_max_uS"] = 25.0
    f.attrs["t_read_s"] = T_READ_S
    f.create_dataset("devices/g_target_uS", data=np.array([0.0, 12.5, 25.0]))
    f.create_dataset("devices/converged", data=np.array([1, 1, 1], dtype=np.uint8))
    f.create_dataset("reads/time_s", data=np.array([25.0, 50.0, 100.0, 200.0]))
    f.create_dataset("reads/g_uS", data=np.array([[0.1, 0.1, 0.1, 0.1],
                                                  [12.0, 11.5, 11.0, 10.5],
                                                  [24.0, 23.0, 22.0, 21.0]]))
    f.create_dataset("noise/device_index", data=np.array([0, 2], dtype=np.int64))
    f.create_dataset("noise/t_start_s", data=np.array([1000.0, 1000.0]))
    f.create_dataset("noise/dt_s", data=0.1)
    f.create_dataset("noise/g_uS", data=np.full((2, 8), 5.0))


def replace(f, name, data):
    del f[name]
    f.create_dataset(name, data=data)


def set_item(name, index, value):
    def edit(f):
        data = f[name][()]
        data[index] = value
        replace(f, name, data)
    return edit


def drop_noise_and_resize_devices(f):
    for name in ("devices/g_target_uS", "devices/converged", "reads/g_uS", "noise"):
        del f[name]
    f.create_dataset("devices/g_target_uS", data=np.zeros(0))
    f.create_dataset("reads/g_uS", data=np.zeros((0, 4)))


# (file name, field the error must name, edit of the tiny campaign)
BAD_FILES = [
    ("wrong_schema.h5", "schema", lambda f: f.attrs.__setitem__("schema", "pcmkit.measurements/2")),
    ("missing_schema.h5", "schema", lambda f: f.attrs.__delitem__("schema")),
    ("missing_g_max.h5", "g_max_uS", lambda f: f.attrs.__delitem__("g_max_uS")),
    ("g_max_string.h5", "g_max_uS", lambda f: f.attrs.__setitem__("g_max_uS", "25")),
    ("missing_reads_g.h5", "/reads/g_uS", lambda f: f.__delitem__("reads/g_uS")),
    ("reads_g_wrong_t.h5", "/reads/g_uS", lambda f: replace(f, "reads/g_uS", np.ones((3, 3)))),
    ("reads_g_inf.h5", "/reads/g_uS", set_item("reads/g_uS", (1, 2), np.inf)),
    # A huge shape with no chunk written: reading it would allocate 64 GiB of fill values.
    ("reads_g_huge_unstored.h5", "/reads/g_uS", lambda f: (
        f.__delitem__("reads/g_uS"),
        f.create_dataset("reads/g_uS", shape=(2 ** 31, 4), chunks=(1, 4), dtype=np.float64))),
    ("time_3d.h5", "/reads/time_s", lambda f: replace(f, "reads/time_s", np.full((3, 4, 1), 25.0))),
    ("time_not_increasing.h5", "/reads/time_s", set_item("reads/time_s", 2, 40.0)),
    ("time_not_positive.h5", "/reads/time_s", set_item("reads/time_s", 0, 0.0)),
    ("target_nan.h5", "/devices/g_target_uS", set_item("devices/g_target_uS", 1, np.nan)),
    ("target_negative.h5", "/devices/g_target_uS", set_item("devices/g_target_uS", 1, -1.0)),
    ("targets_empty.h5", "/devices/g_target_uS", drop_noise_and_resize_devices),
    ("converged_wrong_length.h5", "/devices/converged",
     lambda f: replace(f, "devices/converged", np.ones(2, dtype=np.uint8))),
    ("converged_two.h5", "/devices/converged",
     lambda f: replace(f, "devices/converged", np.array([1, 2, 1], dtype=np.uint8))),
    ("converged_negative.h5", "/devices/converged",
     lambda f: replace(f, "devices/converged", np.array([1, -1, 1], dtype=np.int8))),
    ("reads_is_dataset.h5", "/reads", lambda f: (
        f.__delitem__("reads"), f.create_dataset("reads", data=np.ones((3, 4))))),
    ("noise_index_out_of_range.h5", "/noise/device_index", set_item("noise/device_index", 1, 3)),
    ("noise_index_float.h5", "/noise/device_index",
     lambda f: replace(f, "noise/device_index", np.array([0.0, 2.0]))),
    ("noise_dt_not_positive.h5", "/noise/dt_s", lambda f: replace(f, "noise/dt_s", 0.0)),
    ("noise_dt_missing.h5", "/noise/dt_s", lambda f: f.__delitem__("noise/dt_s")),
    ("noise_t_start_length.h5", "/noise/t_start_s",
     lambda f: replace(f, "noise/t_start_s", np.array([1000.0]))),
    ("noise_g_one_column.h5", "/noise/g_uS", lambda f: replace(f, "noise/g_uS", np.ones((2, 1)))),
    ("reads_g_dangling_link.h5", "/reads/g_uS", lambda f: (
        f.__delitem__("reads/g_uS"), f.__setitem__("reads/g_uS", h5py.SoftLink("/reads/moved")))),
    # h5py's lzf compression is a plugin that libhdf5 (and so pcmkit) cannot decode.
    ("reads_g_lzf.h5", "/reads/g_uS", lambda f: (
        f.__delitem__("reads/g_uS"),
        f.create_dataset("reads/g_uS", data=np.linspace(0.1, 24.0, 12).reshape(3, 4),
                         compression="lzf"))),
]


def write_bad_corpus():
    bad = HERE / "bad"
    bad.mkdir(exist_ok=True)
    manifest = []
    for name, field, edit in BAD_FILES:
        with h5py.File(bad / name, "w") as f:
            write_tiny(f)
            edit(f)
        manifest.append((name, field))
    (bad / "not_hdf5.h5").write_text("schema,pcmkit.measurements/1\nthis is CSV, not HDF5\n")
    manifest.append(("not_hdf5.h5", ""))
    # A valid file cut short: the superblock promises more bytes than there are.
    with h5py.File(bad / "truncated.h5", "w") as f:
        write_tiny(f)
    data = (bad / "truncated.h5").read_bytes()
    (bad / "truncated.h5").write_bytes(data[: len(data) // 2])
    manifest.append(("truncated.h5", ""))
    lines = "".join(f"{name}\t{field}\n" for name, field in sorted(manifest))
    (bad / "manifest.tsv").write_text(lines)


# ---------------------------------------------------------------------------------------------
# A tiny valid campaign in element types pcmkit does not write itself. Values are exact in float32.


def write_other_types():
    with h5py.File(HERE / "other_types_campaign.h5", "w") as f:
        f.attrs["schema"] = np.bytes_(SCHEMA)  # fixed-length ASCII
        f.attrs["g_max_uS"] = np.float32(25.0)
        f.attrs["t_read_s"] = np.float32(0.25)
        f.attrs["temperature_K"] = np.int32(300)
        f.attrs["description"] = np.bytes_("fixed-length")
        f.create_dataset("devices/g_target_uS", data=np.array([0.0, 12.5], dtype=np.float32))
        f.create_dataset("devices/converged", data=np.array([True, False]))
        f.create_dataset("reads/time_s", data=np.array([[25.0, 50.0, 100.0], [26.0, 52.0, 104.0]],
                                                        dtype=np.float32))
        f.create_dataset("reads/g_uS", data=np.array([[0.5, 0.25, np.nan], [12.25, 12.0, 11.75]],
                                                      dtype=np.float32), chunks=(1, 3))
        f.create_dataset("noise/device_index", data=np.array([1], dtype=np.int32))
        f.create_dataset("noise/t_start_s", data=np.array([1000.0], dtype=np.float32))
        f.create_dataset("noise/dt_s", data=np.float32(0.125))
        f.create_dataset("noise/g_uS", data=np.array([[11.5, 11.625, 11.75]], dtype=np.float32))


# ---------------------------------------------------------------------------------------------
# The third-party campaign.


def x_of(g_target_uS):
    return np.maximum(g_target_uS / G_MAX_US, X_FLOOR)


def read_noise_q(g_target_uS):
    return np.minimum(Q_COEF * x_of(g_target_uS) ** Q_EXP, Q_MAX)


def timmer_koenig(rng, q, length, dt_s, count):
    """`count` series of `length` samples with one-sided PSD S(f) = q^2 / f^GAMMA.

    With X_m = sum_k x_k exp(-2 pi i m k / L) and S(f_m) = 2 dt / L E|X_m|^2, draw
    Re X_m, Im X_m ~ N(0, S L / (4 dt)) for 0 < m < L/2, X_{L/2} ~ N(0, S L / dt) real and X_0 = 0;
    then Var x = sum_{m=1}^{L/2} S(f_m) / (L dt) (checked in check_timmer_koenig).
    """
    half = length // 2
    f_Hz = np.arange(1, half + 1) / (length * dt_s)
    s = q ** 2 / f_Hz ** GAMMA
    spectrum = np.zeros((count, half + 1), dtype=complex)
    sd = np.sqrt(s[:-1] * length / (4 * dt_s))
    spectrum[:, 1:half] = sd * (rng.standard_normal((count, half - 1))
                                + 1j * rng.standard_normal((count, half - 1)))
    spectrum[:, half] = np.sqrt(s[-1] * length / dt_s) * rng.standard_normal(count)
    return np.fft.irfft(spectrum, n=length, axis=1)


def check_timmer_koenig():
    """The synthesised series has the variance and the periodogram the PSD promises."""
    rng = np.random.default_rng(1)
    q, length, dt_s, reps = 0.05, 1024, 0.1, 4000
    x = timmer_koenig(rng, q, length, dt_s, reps)
    m = np.arange(1, length // 2 + 1)
    s = q ** 2 / (m / (length * dt_s)) ** GAMMA
    expected_var = np.sum(s / (length * dt_s))
    # Relative sd of one series' variance: sqrt(sum w^2)/sum w with w ~ 1/m, below 0.17 here.
    var_ratio = x.var(axis=1).mean() / expected_var
    assert abs(var_ratio - 1) < 5 * 0.17 / np.sqrt(reps), var_ratio
    # Periodogram with the one-sided convention, averaged over reps and over bands of bins.
    periodogram = 2 * dt_s / length * np.abs(np.fft.rfft(x, axis=1)[:, 1:length // 2]) ** 2
    ratio = (periodogram / s[:-1]).mean(axis=0)
    for band in np.array_split(ratio, 8):
        assert abs(band.mean() - 1) < 5 / np.sqrt(reps * band.size), band.mean()
    print(f"Timmer-Koenig check: variance ratio {var_ratio:.4f}")


def write_other_program():
    rng = np.random.default_rng(SEED)
    g_target_uS = np.repeat(LEVELS_US, DEVICES_PER_LEVEL)
    n = g_target_uS.size
    x_raw = g_target_uS / G_MAX_US
    x = x_of(g_target_uS)

    sigma_prog = np.maximum(0.0, PROG_C[0] + PROG_C[1] * x_raw + PROG_C[2] * x_raw ** 2)
    g_prog = np.maximum(0.0, g_target_uS + sigma_prog * rng.standard_normal(n))
    # Programming that did not converge: exactly 0.9 % of each level, not flagged in the file.
    per_level = round(NONCONVERGED_FRACTION * DEVICES_PER_LEVEL)
    for level in range(LEVELS_US.size):
        rows = level * DEVICES_PER_LEVEL + rng.choice(DEVICES_PER_LEVEL, per_level, replace=False)
        offset = rng.uniform(*NONCONVERGED_OFFSET, per_level) * G_MAX_US
        sign = rng.choice([-1.0, 1.0], per_level)
        g_prog[rows] = np.clip(g_target_uS[rows] + sign * offset, 0.0, G_MAX_US)

    mu = np.clip(MU_NU[0] + MU_NU[1] * np.log(x), *MU_NU_CLIP)
    sigma = np.clip(SIGMA_NU[0] + SIGMA_NU[1] * np.log(x), *SIGMA_NU_CLIP)
    nu = np.abs(mu + sigma * rng.standard_normal(n))

    q = read_noise_q(g_target_uS)
    g_drift = g_prog[:, None] * (TIMES_S[None, :] / T0_S) ** (-nu[:, None])
    sigma_r = q[:, None] * np.sqrt(np.log((TIMES_S[None, :] + T_READ_S) / (2 * T_READ_S)))
    g_read = np.maximum(0.0, g_drift + np.abs(g_drift) * sigma_r * rng.standard_normal(g_drift.shape))

    # Noise traces: TRACES_PER_LEVEL random devices of each level.
    device_index = np.concatenate([
        level * DEVICES_PER_LEVEL + np.sort(rng.choice(DEVICES_PER_LEVEL, TRACES_PER_LEVEL,
                                                       replace=False))
        for level in range(LEVELS_US.size)]).astype(np.int64)
    m = device_index.size
    t_start_s = np.full(m, TRACE_START_S)
    t_trace = t_start_s[:, None] + TRACE_DT_S * np.arange(TRACE_READS)[None, :]
    rel = np.stack([timmer_koenig(rng, q[i], OVERSAMPLE * TRACE_READS, TRACE_DT_S, 1)[0, :TRACE_READS]
                    for i in device_index])
    g_trace_drift = g_prog[device_index, None] * (t_trace / T0_S) ** (-nu[device_index, None])
    g_trace = np.maximum(0.0, g_trace_drift * (1.0 + rel))

    gz = dict(compression="gzip", compression_opts=6, shuffle=True)
    with h5py.File(HERE / "other_program_campaign.h5", "w") as f:
        f.attrs["schema"] = SCHEMA
        f.attrs["g_max_uS"] = G_MAX_US
        f.attrs["t_read_s"] = T_READ_S
        f.attrs["description"] = (
            "Synthetic PCM campaign written with numpy/h5py by tests/data/make_campaign_fixtures.py "
            "(no pcmkit code) from the aihwkit PCMLikeNoiseModel; 0.9% of devices per level did not "
            "converge and are not flagged")
        f.attrs["generator_script"] = "tests/data/make_campaign_fixtures.py"
        f.attrs["generator_numpy_version"] = np.__version__
        f.attrs["generator_seed"] = np.int64(SEED)
        f.attrs["generator_model"] = "IBM aihwkit PCMLikeNoiseModel (Nandakumar et al., ICECS 2019)"
        f.attrs["generator_t0_s"] = T0_S
        f.attrs["generator_x_floor"] = X_FLOOR
        f.attrs["generator_prog_c0_c1_c2"] = np.array(PROG_C)
        f.attrs["generator_mu_nu_a_b"] = np.array(MU_NU)
        f.attrs["generator_mu_nu_clip"] = np.array(MU_NU_CLIP)
        f.attrs["generator_sigma_nu_a_b"] = np.array(SIGMA_NU)
        f.attrs["generator_sigma_nu_clip"] = np.array(SIGMA_NU_CLIP)
        f.attrs["generator_q_coef_exp_max"] = np.array([Q_COEF, Q_EXP, Q_MAX])
        f.attrs["generator_trace_gamma"] = GAMMA
        f.attrs["generator_trace_oversample"] = np.int64(OVERSAMPLE)
        f.attrs["generator_nonconverged_fraction"] = NONCONVERGED_FRACTION
        f.attrs["generator_nonconverged_offset_rel"] = np.array(NONCONVERGED_OFFSET)
        f.create_dataset("devices/g_target_uS", data=g_target_uS, chunks=(DEVICES_PER_LEVEL,), **gz)
        f.create_dataset("reads/time_s", data=TIMES_S, chunks=(TIMES_S.size,), **gz)
        f.create_dataset("reads/g_uS", data=g_read, chunks=(DEVICES_PER_LEVEL, TIMES_S.size), **gz)
        f.create_dataset("noise/device_index", data=device_index, chunks=(TRACES_PER_LEVEL,), **gz)
        f.create_dataset("noise/t_start_s", data=t_start_s, chunks=(TRACES_PER_LEVEL,), **gz)
        f.create_dataset("noise/dt_s", data=TRACE_DT_S)
        f.create_dataset("noise/g_uS", data=g_trace, chunks=(TRACES_PER_LEVEL, TRACE_READS), **gz)


def main():
    check_timmer_koenig()
    write_bad_corpus()
    write_other_types()
    write_other_program()
    for path in sorted(HERE.rglob("*.h5")):
        print(f"{path.stat().st_size:>9} {path.relative_to(HERE)}")


if __name__ == "__main__":
    main()
