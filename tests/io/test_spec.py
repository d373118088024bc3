"""The spec-file loader: every section, every default, and every error message (exactly)."""

import re

import numpy as np
import pytest

from lingauss import LingaussError, Sample, Student, Teacher, divergence
from lingauss.io.spec import (STUDENT_KEYS, Spec, default_spec, default_spec_text, load_spec,
                              loads_spec)

# The base problem as {section: {key: TOML literal}}; tests change it with spec_text(...).
BASE = {"data": {"d": "6", "k": "3", "n": "10"},
        "teacher": {"beta": "4.0", "ridge": "1.0"},
        "student": {"beta": "2.0", "ridge": "0.5", "width": "4"}}


def spec_text(**changes):
    """TOML of BASE with changes: ``section={key: literal or None (drop)}``; ``section=None``
    drops the section, a new section name adds it."""
    doc = {name: dict(table) for name, table in BASE.items()}
    for name, table in changes.items():
        if table is None:
            del doc[name]
            continue
        doc.setdefault(name, {}).update(table)
        doc[name] = {key: value for key, value in doc[name].items() if value is not None}
    return "".join(f"[{name}]\n" + "".join(f"{key} = {value}\n" for key, value in table.items())
                   + "\n" for name, table in doc.items())


NPZ_DATA = {"d": None, "k": None, "n": None, "file": '"sample.npz"'}
SPEC = spec_text()


def write(folder, text, name="spec.toml"):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def raises(message):
    """``pytest.raises`` for a LingaussError whose message is exactly ``message``."""
    return pytest.raises(LingaussError, match="^" + re.escape(message) + "$")


def same_sample(a: Sample, b: Sample):
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.Y, b.Y)
    if a.W_star is None or b.W_star is None:
        assert a.W_star is None and b.W_star is None
    else:
        np.testing.assert_array_equal(a.W_star, b.W_star)
    assert a.noise == b.noise


def save_sample(folder, name="sample.npz", d=5, k=3, n=7, **extra):
    sample = Sample.synthetic(d, k, n, noise=0.3, seed=2)
    arrays = dict(X=sample.X, Y=sample.Y, W_star=sample.W_star, noise=np.float64(0.3))
    arrays.update(extra)
    arrays = {key: value for key, value in arrays.items() if value is not None}
    np.savez(folder / name, **arrays)
    return sample


def orthonormal(rows, cols, seed=0):
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((rows, cols)))[0]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------

def test_synthetic_spec_uses_sample_synthetic_defaults(tmp_path):
    path = write(tmp_path, SPEC)
    spec = load_spec(path)
    assert isinstance(spec, Spec)
    same_sample(spec.sample, Sample.synthetic(6, 3, 10, noise=0.5, seed=0,
                                              spectrum_exponent=1.0, signal_exponent=1.0))
    assert spec.teacher == Teacher(beta=4.0, ridge=1.0)
    assert (spec.student.beta, spec.student.ridge, spec.student.width) == (2.0, 0.5, 4)
    assert (spec.student.rank, spec.student.alpha, spec.student.basis) == (None, 0.0, "pca")
    assert (spec.space, spec.direction, spec.path) == ("parameter", "forward", path)


def test_synthetic_keys_reach_sample_synthetic(tmp_path):
    spec = load_spec(write(tmp_path, spec_text(data={
        "noise": "0.1", "seed": "3", "spectrum_exponent": "2.0", "signal_exponent": "0.5"})))
    same_sample(spec.sample, Sample.synthetic(6, 3, 10, noise=0.1, seed=3,
                                              spectrum_exponent=2.0, signal_exponent=0.5))


def test_every_student_key_and_the_divergence_section(tmp_path):
    spec = load_spec(write(tmp_path, spec_text(
        student={"beta": "3", "ridge": "2", "alpha": "0.25", "width": "5", "rank": "2",
                 "basis": '"first"', "rank_rule": '"oracle"', "complement_variance": "0.7",
                 "soft_labels": '"sampled+noise"', "soft_label_noise": "0.2"},
        divergence={"space": '"prediction"', "direction": '"symmetric"'})))
    s = spec.student
    assert (s.beta, s.ridge, s.alpha, s.width, s.rank) == (3.0, 2.0, 0.25, 5, 2)
    assert (s.basis, s.rank_rule, s.complement_variance) == ("first", "oracle", 0.7)
    assert (s.soft_labels, s.soft_label_noise) == ("sampled+noise", 0.2)
    assert (spec.space, spec.direction) == ("prediction", "symmetric")


def test_npz_sample_is_read_relative_to_the_spec_folder(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    sample = save_sample(tmp_path / "data")
    path = write(tmp_path / "specs", spec_text(data=dict(NPZ_DATA, file='"../data/sample.npz"')))
    monkeypatch.chdir(tmp_path)                     # anywhere but the spec folder
    spec = load_spec(path)
    same_sample(spec.sample, sample)
    assert spec.sample.noise == 0.3


def test_npz_sample_with_only_X_and_Y(tmp_path):
    sample = save_sample(tmp_path, W_star=None, noise=None)
    spec = load_spec(write(tmp_path, spec_text(data=NPZ_DATA)))
    same_sample(spec.sample, Sample(sample.X, sample.Y))


def test_npy_basis_and_rank_rule(tmp_path):
    B, Q = orthonormal(6, 4, seed=1), orthonormal(3, 2, seed=2)
    np.save(tmp_path / "B.npy", B)
    (tmp_path / "mats").mkdir()
    np.save(tmp_path / "mats" / "Q.npy", Q)
    spec = load_spec(write(tmp_path, spec_text(
        student={"width": None, "basis": '"B.npy"', "rank_rule": '"mats/Q.npy"'})))
    np.testing.assert_array_equal(spec.student.basis, B)
    np.testing.assert_array_equal(spec.student.rank_rule, Q)
    assert (spec.student.width, spec.student.rank) == (4, 2)
    direct = divergence(spec.teacher, Student(2.0, 0.5, basis=B, rank_rule=Q), spec.sample)
    assert divergence(spec.teacher, spec.student, spec.sample).as_dict() == direct.as_dict()


def test_default_spec_is_the_documented_problem():
    spec = default_spec()
    same_sample(spec.sample, Sample.synthetic(32, 8, 64, noise=0.5, seed=0,
                                              spectrum_exponent=1.0, signal_exponent=1.5))
    assert spec.teacher == Teacher(beta=4.0, ridge=1.0)
    s = spec.student
    assert (s.beta, s.ridge, s.width, s.alpha, s.rank) == (1.0, 8.0, 24, 0.0, None)
    assert (s.basis, s.rank_rule, s.complement_variance, s.soft_labels) == (
        "pca", "optimal", "prior", "mean")           # one set of defaults (issue 15)
    assert (spec.space, spec.direction, spec.path) == ("parameter", "forward", None)


def test_default_problem_tells_the_story_every_term_matters_somewhere_on_the_rank_axis():
    """Issue 12: in the default problem bias, variance and rank bottleneck each make at least
    a fifth of K at some rank, and every term is > 0 at every rank (the demo's log axis)."""
    from lingauss import divergence

    spec = default_spec()
    shares = {"bias": [], "variance": [], "rank_bottleneck": []}
    for r in range(1, spec.sample.k + 1):
        dec = divergence(spec.teacher, spec.student.replace(rank=r), spec.sample)
        for term in shares:
            assert getattr(dec, term) > 0, (term, r)
            shares[term].append(getattr(dec, term) / dec.total)
    assert all(max(v) >= 0.2 for v in shares.values()), shares
    assert shares["rank_bottleneck"][0] > 0.9          # it dominates at rank 1


def test_default_spec_text_is_a_valid_spec_file(tmp_path):
    spec = load_spec(write(tmp_path, default_spec_text()))
    same_sample(spec.sample, default_spec().sample)
    assert repr(spec.student) == repr(default_spec().student)


def test_loads_spec_reads_relative_paths_from_folder(tmp_path):
    sample = save_sample(tmp_path)
    spec = loads_spec(spec_text(data=NPZ_DATA), folder=tmp_path)
    same_sample(spec.sample, sample)
    assert spec.path is None


def test_spec_repr_is_short():
    assert repr(default_spec()).startswith("Spec(teacher=Teacher(beta=4.0, ridge=1.0), ")
    assert "sample=<Sample d=32 k=8 n=64>" in repr(default_spec())


# --------------------------------------------------------------------------------------------
# Errors: one LingaussError, exact message
# --------------------------------------------------------------------------------------------

def test_missing_spec_file(tmp_path):
    path = tmp_path / "nope.toml"
    with raises(f"{path}: cannot read the spec file: No such file or directory."):
        load_spec(path)


def test_path_of_wrong_type():
    with raises("path == 3, must be the path of a TOML spec file."):
        load_spec(3)


def test_malformed_toml_names_the_line(tmp_path):
    path = write(tmp_path, "[teacher]\nbeta = 4.0\nridg 1.0\n")
    with raises(f"{path}: invalid TOML: Expected '=' after a key in a key/value pair "
                f"(at line 3, column 6)"):
        load_spec(path)


def test_malformed_toml_at_end_of_document_names_the_line(tmp_path):
    path = write(tmp_path, '[teacher]\nbeta = 4.0\nridge = [1.0')
    with raises(f"{path}: invalid TOML: Unclosed array "
                f"(at end of document, line 3, column 13)"):
        load_spec(path)


def test_spec_file_not_utf8(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_bytes(b"[teacher]\nbeta = \xff\n")
    with raises(f"{path}: invalid TOML: not UTF-8 text (invalid start byte at byte 17)."):
        load_spec(path)


SECTIONS = "('data', 'teacher', 'student', 'students', 'divergence')"   # students: issue 11


def test_unknown_section(tmp_path):
    path = write(tmp_path, spec_text(foo={"x": "1"}))
    with raises(f"{path}: Unknown section: [foo]. Allowed sections: {SECTIONS}."):
        load_spec(path)


def test_unknown_top_level_key(tmp_path):
    path = write(tmp_path, "beta = 1.0\n" + SPEC)
    with raises(f"{path}: Unknown top-level key: 'beta'. Allowed sections: {SECTIONS}."):
        load_spec(path)


def test_section_that_is_not_a_table(tmp_path):
    path = write(tmp_path, "teacher = 3\n" + spec_text(teacher=None))
    with raises(f"{path}: teacher == 3, must be a section [teacher] (a TOML table)."):
        load_spec(path)


def test_missing_section(tmp_path):
    path = write(tmp_path, spec_text(student=None))
    with raises(f"{path}: Missing section: [student]. "
                f"Required sections: ('data', 'teacher', 'student') ([[students]] tables may "
                f"replace [student])."):
        load_spec(path)


def test_unknown_key_lists_the_allowed_keys(tmp_path):
    path = write(tmp_path, spec_text(student={"rnak": "2"}))
    assert STUDENT_KEYS == ("beta", "ridge", "alpha", "width", "rank", "basis", "rank_rule",
                            "complement_variance", "soft_labels", "soft_label_noise")
    with raises(f"{path}: Unknown key in [student]: 'rnak'. Allowed keys: ('beta', 'ridge', "
                f"'alpha', 'width', 'rank', 'basis', 'rank_rule', 'complement_variance', "
                f"'soft_labels', 'soft_label_noise')."):
        load_spec(path)


def test_unknown_key_in_data_teacher_and_divergence(tmp_path):
    path = write(tmp_path, spec_text(data={"noize": "0.1"}))
    with raises(f"{path}: Unknown key in [data]: 'noize'. Allowed keys: ('file', 'random', 'd', "
                f"'k', 'n', 'noise', 'seed', 'spectrum_exponent', 'signal_exponent')."):
        load_spec(path)
    path = write(tmp_path, spec_text(teacher={"alpha": "0.5"}))
    with raises(f"{path}: Unknown key in [teacher]: 'alpha'. Allowed keys: ('beta', 'ridge')."):
        load_spec(path)
    path = write(tmp_path, spec_text(divergence={"space": '"parameter"', "directon": '"reverse"'}))
    with raises(f"{path}: Unknown key in [divergence]: 'directon'. "
                f"Allowed keys: ('space', 'direction')."):
        load_spec(path)


def test_missing_required_key(tmp_path):
    path = write(tmp_path, spec_text(teacher={"ridge": None}))
    with raises(f"{path}: Missing key in [teacher]: 'ridge'. Required keys: ('beta', 'ridge')."):
        load_spec(path)
    path = write(tmp_path, spec_text(student={"beta": None}))
    with raises(f"{path}: Missing key in [student]: 'beta'. Required keys: ('beta', 'ridge')."):
        load_spec(path)


def test_missing_synthetic_key(tmp_path):
    path = write(tmp_path, spec_text(data={"n": None}))
    with raises(f"{path}: Missing key in [data]: 'n'. Give file = \"<sample>.npz\" or the "
                f"synthetic keys ('d', 'k', 'n') (optional: ('noise', 'seed', "
                f"'spectrum_exponent', 'signal_exponent'))."):
        load_spec(path)


@pytest.mark.parametrize("section, key, literal, message", [
    ("teacher", "beta", '"x"', "[teacher] beta == 'x', must be a real number."),
    ("teacher", "ridge", "0", "[teacher] ridge == 0, must be > 0."),
    ("teacher", "beta", "nan", "[teacher] beta == nan, must be finite."),
    ("student", "beta", "-1", "[student] beta == -1, must be > 0."),
    ("student", "alpha", "nan", "[student] alpha == nan, must be finite."),
    ("student", "rank", "5", "[student] rank == 5, must be <= width == 4."),
    ("student", "width", "[4]", "[student] width == [4], must be an integer."),
    ("student", "soft_labels", '"best"', "[student] Unknown value for soft_labels: 'best'. "
                                         "Possible values: ('mean', 'sampled', 'sampled+noise')."),
    ("student", "basis", '"B.txt"', "[student] Unknown value for basis: 'B.txt'. Possible "
                                    "values: ('pca', 'first') or the path of a .npy file."),
    ("student", "rank_rule", '"best"', "[student] Unknown value for rank_rule: 'best'. Possible "
                                       "values: ('optimal', 'oracle') or the path of a .npy "
                                       "file."),
    ("data", "d", "6.5", "[data] d == 6.5, must be an integer."),
    ("data", "seed", "-1", "[data] seed == -1, must be >= 0."),
    ("data", "noise", "true", "[data] noise == True, must be a real number."),
    ("divergence", "space", '"weights"', "[divergence] Unknown value for space: 'weights'. "
                                         "Possible values: ('parameter', 'prediction')."),
    ("divergence", "direction", "1", "[divergence] Unknown value for direction: 1. Possible "
                                     "values: ('forward', 'reverse', 'symmetric')."),
])
def test_bad_value_names_section_key_value_and_rule(tmp_path, section, key, literal, message):
    path = write(tmp_path, spec_text(**{section: {key: literal}}))
    with raises(f"{path}: {message}"):
        load_spec(path)


def test_ambiguous_file_and_synthetic_keys(tmp_path):
    path = write(tmp_path, spec_text(data={"d": None, "file": '"sample.npz"', "noise": "0.1"}))
    with raises(f"{path}: Ambiguous arguments: [data] has file == 'sample.npz' and the "
                f"synthetic keys ('k', 'n', 'noise'); give one or the other."):
        load_spec(path)


def test_missing_data_file(tmp_path):
    path = write(tmp_path, spec_text(data=dict(NPZ_DATA, file='"missing.npz"')))
    with raises(f"{path}: [data] file == 'missing.npz': cannot read {tmp_path / 'missing.npz'}: "
                f"No such file or directory."):
        load_spec(path)


def test_data_file_not_a_string(tmp_path):
    path = write(tmp_path, spec_text(data=dict(NPZ_DATA, file="3")))
    with raises(f"{path}: [data] file == 3, must be the path of a .npz file."):
        load_spec(path)


@pytest.mark.parametrize("content", [b"", b"not numpy", b"PK\x03\x04broken"])
def test_data_file_that_is_not_npz(tmp_path, content):
    (tmp_path / "sample.npz").write_bytes(content)
    path = write(tmp_path, spec_text(data=NPZ_DATA))
    with raises(f"{path}: [data] file == 'sample.npz': {tmp_path / 'sample.npz'} is not a "
                f"NumPy .npz file."):
        load_spec(path)


def test_data_file_that_is_npy(tmp_path):
    np.save(tmp_path / "x.npy", np.eye(2))
    path = write(tmp_path, spec_text(data=dict(NPZ_DATA, file='"x.npy"')))
    with raises(f"{path}: [data] file == 'x.npy': {tmp_path / 'x.npy'} is not a NumPy .npz "
                f"file."):
        load_spec(path)


def test_npz_arrays_are_checked(tmp_path):
    head = "[data] file == 'sample.npz'"
    path = write(tmp_path, spec_text(data=NPZ_DATA))
    save_sample(tmp_path, Y=None)
    with raises(f"{path}: {head}: Missing array 'Y'. Required arrays: ('X', 'Y')."):
        load_spec(path)
    save_sample(tmp_path, w_star=np.zeros((3, 5)))
    with raises(f"{path}: {head}: Unknown array 'w_star'. "
                f"Allowed arrays: ('X', 'Y', 'W_star', 'noise')."):
        load_spec(path)
    save_sample(tmp_path, noise=np.array([0.1, 0.2]))
    with raises(f"{path}: {head}: noise has shape (2,), must be a scalar."):
        load_spec(path)
    save_sample(tmp_path, Y=np.zeros((3, 4)))
    with raises(f"{path}: {head}: Y has shape (3, 4), must have n == 7 along axis 1."):
        load_spec(path)
    save_sample(tmp_path, W_star=np.zeros((3, 4)))
    with raises(f"{path}: {head}: W_star has shape (3, 4), must have d == 5 along axis 1."):
        load_spec(path)
    save_sample(tmp_path, X=np.array([object()], dtype=object))
    with raises(f"{path}: {head}: array 'X' cannot be read, must be a numeric array saved "
                f"with numpy.savez."):
        load_spec(path)


def test_missing_npy_file(tmp_path):
    path = write(tmp_path, spec_text(student={"basis": '"B.npy"'}))
    with raises(f"{path}: [student] basis == 'B.npy': cannot read {tmp_path / 'B.npy'}: "
                f"No such file or directory."):
        load_spec(path)


def test_npy_matrix_is_validated_by_the_model(tmp_path):
    np.save(tmp_path / "B.npy", 2 * np.eye(6)[:, :4])
    path = write(tmp_path, spec_text(student={"width": None, "basis": '"B.npy"'}))
    with raises(f"{path}: [student] basis is not orthonormal: max|BᵀB − I| == 3, "
                f"must be <= 1.33e-12."):
        load_spec(path)


def test_npz_given_as_npy_matrix(tmp_path):
    with open(tmp_path / "Q.npy", "wb") as f:         # an .npz archive under an .npy name
        np.savez(f, Q=np.eye(3)[:, :1])
    path = write(tmp_path, spec_text(student={"rank_rule": '"Q.npy"'}))
    with raises(f"{path}: [student] rank_rule == 'Q.npy': {tmp_path / 'Q.npy'} is not a "
                f"NumPy .npy file."):
        load_spec(path)


def test_loads_spec_names_its_source():
    with raises("<string>: Missing section: [data]. "
                "Required sections: ('data', 'teacher', 'student')."):
        loads_spec(spec_text(data=None))
    with raises("mine: Missing section: [data]. "
                "Required sections: ('data', 'teacher', 'student')."):
        loads_spec(spec_text(data=None), name="mine")


def test_spec_checks_its_fields():
    spec = default_spec()
    with raises("teacher == 3, must be a lingauss.Teacher."):
        Spec(3, spec.student, spec.sample)
    with raises("Unknown value for space: 'weights'. Possible values: "
                "('parameter', 'prediction')."):
        spec.replace(space="weights")


# --------------------------------------------------------------------------------------------
# Chains: [[students]] tables (issue 11)
# --------------------------------------------------------------------------------------------

CHAIN = """
[data]
d = 6
k = 2
n = 12
[teacher]
beta = 2.0
ridge = 1.0
[[students]]
beta = 2.0
ridge = 1.5
alpha = -0.5
[[students]]
beta = 1.0
ridge = 0.5
width = 4
rank = 1
rank_rule = "oracle"
"""


def test_chain_spec_reads_every_generation():
    spec = loads_spec(CHAIN)
    assert len(spec.students) == 2
    assert spec.students[0].alpha == -0.5 and spec.students[0].ridge == 1.5
    assert spec.students[1].width == 4 and spec.students[1].rank_rule == "oracle"
    assert spec.student is spec.students[1]
    assert spec.chain.generations == 2 and spec.chain.students == spec.students
    assert loads_spec(spec_text()).chain.generations == 1      # a single student: one step


def test_chain_spec_errors_name_the_generation():
    def starts(message):
        return pytest.raises(LingaussError, match="^" + re.escape(message))
    with raises("<string>: [[students]] #2 width == 9, must be <= d == 6."):
        loads_spec(CHAIN.replace("width = 4", "width = 9"))
    with starts("<string>: Unknown key in [[students]] #1: 'alhpa'. Allowed keys: ("):
        loads_spec(CHAIN.replace("alpha = -0.5", "alhpa = -0.5"))
    with starts("<string>: [student] and [[students]] both given"):
        loads_spec(CHAIN + "[student]\nbeta = 1.0\nridge = 1.0\n")
    with starts("<string>: students == 3, must be one or more [[students]] tables"):
        loads_spec("students = 3\n" + CHAIN.split("[[students]]")[0])
