"""One model-directory format (laura.artefact) and `laura export`: round trips for the three
kinds, fp16 halving, provenance and recorded paths, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from laura.artefact import Artefact, artefact_kind
from laura.bin import run_verb
from laura.nn.codec import Codec, CodecConfig, load_codec, save_codec

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_LM = ROOT / "egs/mini/lauragpt/shipped/lauragpt"
SHIPPED_VOCODER = ROOT / "egs/mini/lauragpt/shipped/vocoder"


def _tiny_codec() -> Codec:
    torch.manual_seed(0)
    cfg = CodecConfig(
        kind="freq",
        latent_dim=16,
        n_q=2,
        codebook_size=8,
        hidden=16,
        encoder_blocks=1,
        decoder_blocks=1,
        quantizer_dropout=[1, 2],
    )
    return Codec(cfg).eval()


def test_codec_export_fp16_round_trip(tmp_path, capsys):
    codec = _tiny_codec()
    save_codec(codec, tmp_path / "trained", {"trained_steps": 3})
    assert artefact_kind(tmp_path / "trained") == "codec"
    argv = [str(tmp_path / "trained"), str(tmp_path / "ship"), "--fp16"]
    assert run_verb("export", [*argv, "--info", "command=./run.sh --stage 2", "n=7"]) == 0
    meta = json.loads((tmp_path / "ship/codec.json").read_text())
    assert meta["inference_only"] is True
    assert (meta["trained_steps"], meta["command"], meta["n"]) == (3, "./run.sh --stage 2", 7)
    stored = load_file(str(tmp_path / "ship/model.safetensors"))
    assert not [k for k in stored if k.endswith(("embed_avg", "cluster_size"))]
    assert {v.dtype for v in stored.values() if v.is_floating_point()} == {torch.float16}
    back = load_codec(tmp_path / "ship")
    assert all(p.dtype == torch.float32 for p in back.parameters())
    for k, v in back.state_dict().items():
        if not k.endswith(("embed_avg", "cluster_size")):
            ref = codec.state_dict()[k]
            assert torch.equal(v, ref.half().float() if ref.is_floating_point() else ref), k
    tokens, scale = back.encode(torch.randn(1, 3200) * 0.1)  # a usable codec
    assert tokens.shape == (1, 2, 5) and int(tokens.max()) < 8
    assert back.decode(tokens, scale).shape == (1, 3200)
    # Exporting an export changes nothing (fp16 is idempotent; provenance carried over)
    assert run_verb("export", [str(tmp_path / "ship"), str(tmp_path / "again"), "--fp16"]) == 0
    again = load_file(str(tmp_path / "again/model.safetensors"))
    assert stored.keys() == again.keys() and all(torch.equal(stored[k], again[k]) for k in stored)
    assert json.loads((tmp_path / "again/codec.json").read_text()) == meta


def test_experiment_export_records_paths_and_drops_training_files(tmp_path):
    out = tmp_path / "lm"
    tok = str(SHIPPED_LM.parent / "bpe")
    assert run_verb("export", [str(SHIPPED_LM), str(out), "--tokenizer", tok, "--info", "x=1"]) == 0
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["exp_dir"] == str(out) and cfg["tokenizer"]["path"] == tok
    assert cfg["cmvn"] is None and cfg["init_from"] is None and cfg["encoder_init"] is None
    info = json.loads((out / "info.json").read_text())
    src = json.loads((SHIPPED_LM / "info.json").read_text())
    assert info == {**src, "x": 1}  # the source's provenance kept, the new key added
    a, b = Artefact.load(SHIPPED_LM), Artefact.load(out)
    assert a.state.keys() == b.state.keys()
    assert all(torch.equal(a.state[k], b.state[k]) for k in a.state)
    from laura.decode import load_trained

    module, _ = load_trained(out)  # the export decodes like the original
    assert module.model.vocab.n_audio == 1024


def test_vocoder_export_records_the_codec(tmp_path):
    out = tmp_path / "voc"
    assert run_verb("export", [str(SHIPPED_VOCODER), str(out), "--codec", "/elsewhere/c"]) == 0
    meta = json.loads((out / "vocoder.json").read_text())
    assert meta["codec"] == "/elsewhere/c"
    src = json.loads((SHIPPED_VOCODER / "vocoder.json").read_text())
    assert {k: v for k, v in meta.items() if k != "codec"} == {
        k: v for k, v in src.items() if k != "codec"
    }


@pytest.mark.parametrize(
    "argv, message",
    [
        (["{tmp}/nothing", "{tmp}/o"], "not a laura model directory (no codec.json"),
        (["{codec}", "{tmp}/o", "--tokenizer", "t"], "a codec records no tokenizer"),
        (["{codec}", "{tmp}/o", "--codec", "c"], "a codec records no codec (--codec is for"),
        (["{codec}", "{tmp}/o", "--info", "novalue"], "--info 'novalue' is not of the form"),
        (["{codec}", "{tmp}/o", "--info", "cfg=@/no/such.yaml"], "/no/such.yaml: file not found"),
        (["{codec}", "{tmp}/full"], "export directory is not empty; choose another or pass"),
        (["{codec}", "{codec}"], "the export would overwrite its source"),
    ],
)
def test_export_refusals_are_one_line_and_change_nothing(tmp_path, capsys, argv, message):
    save_codec(_tiny_codec(), tmp_path / "codec")
    (tmp_path / "nothing").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full/keep.txt").write_text("mine")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    argv = [a.format(tmp=tmp_path, codec=tmp_path / "codec") for a in argv]
    assert run_verb("export", argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "full/keep.txt").read_text() == "mine"
