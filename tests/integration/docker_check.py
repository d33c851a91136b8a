#!/usr/bin/env python3
"""Static checks of docker/ for machines without a Docker engine (used by
test_docker_files.sh). Exits non-zero with one line per problem.

  docker_check.py compose FILE ENVOUT   parse the Compose file, check its wiring, and
                                        write the stoa service's environment to ENVOUT
  docker_check.py dockerfile FILE ROOT  structural checks of a Dockerfile (Debian has
                                        no hadolint); COPY sources must exist in ROOT
  docker_check.py healthcheck FILE      print the HEALTHCHECK command, one arg a line
"""
import json
import os
import re
import sys

import yaml

problems = []


def problem(msg):
    problems.append(msg)


def expand(value):
    """Compose's ${VAR:-default} with VAR unset."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}", r"\1", str(value))


def check_compose(path, envout):
    base = os.path.dirname(os.path.abspath(path))
    with open(path) as f:
        doc = yaml.safe_load(f)
    services = doc.get("services") or {}
    for name in ("postgres", "s3", "migrate", "stoa"):
        if name not in services:
            problem(f"{path}: no '{name}' service")
    if problems:
        return
    for name, svc in services.items():
        build = svc.get("build")
        if build:
            ctx = os.path.join(base, build.get("context", "."))
            df = os.path.join(ctx, build.get("dockerfile", "Dockerfile"))
            if not os.path.isdir(ctx) or not os.path.isfile(df):
                problem(f"{path}: {name}: build context {ctx} or Dockerfile {df} missing")
        for v in svc.get("volumes") or []:
            src = v.split(":")[0]
            if src.startswith(".") and not os.path.exists(os.path.join(base, src)):
                problem(f"{path}: {name}: bind mount source {src} does not exist")
            elif not src.startswith((".", "/")) and src not in (doc.get("volumes") or {}):
                problem(f"{path}: {name}: named volume {src} is not declared")
        for port in svc.get("ports") or []:
            if not str(port).startswith("127.0.0.1:"):
                problem(f"{path}: {name}: port {port} is published on every interface")
    for name in ("postgres", "s3"):
        if "healthcheck" not in services[name]:
            problem(f"{path}: {name} has no healthcheck, so depends_on cannot wait for it")
    s3 = services["s3"]
    if not str(s3.get("image", "")).startswith("minio/minio"):
        problem(f"{path}: the s3 service must be MinIO (a production S3 server), is {s3.get('image') or s3.get('build')}")
    bucket = services.get("s3-bucket") or {}
    if not str(bucket.get("image", "")).startswith("minio/mc") or "mc mb" not in " ".join(bucket.get("command") or []):
        problem(f"{path}: a minio/mc service must create the bucket (mc mb)")
    if (bucket.get("depends_on") or {}).get("s3", {}).get("condition") != "service_healthy":
        problem(f"{path}: the bucket must be created once s3 is healthy")
    for name, svc in services.items():
        for k, v in (svc.get("environment") or {}).items():
            if re.search(r"(PASSWORD|SECRET)", k) and "${" not in str(v):
                problem(f"{path}: {name}: {k} is written in the file, not taken from the environment")
    mig, stoa = services["migrate"], services["stoa"]
    if mig.get("command") != ["migrate"]:
        problem(f"{path}: migrate must run `stoa migrate`, runs {mig.get('command')}")
    if (mig.get("depends_on") or {}).get("postgres", {}).get("condition") != "service_healthy":
        problem(f"{path}: migrate must wait for a healthy postgres")
    if (stoa.get("depends_on") or {}).get("s3-bucket", {}).get("condition") != "service_completed_successfully":
        problem(f"{path}: stoa must start only after the bucket was created")
    if (stoa.get("depends_on") or {}).get("migrate", {}).get("condition") != "service_completed_successfully":
        problem(f"{path}: stoa must start only after migrate completed successfully")
    if stoa.get("image") != mig.get("image"):
        problem(f"{path}: stoa and migrate must run the same image")
    env = {k: expand(v) for k, v in (stoa.get("environment") or {}).items()}
    if env != {k: expand(v) for k, v in (mig.get("environment") or {}).items()}:
        problem(f"{path}: stoa and migrate must share one environment")
    if "STOA_STORAGE_OPTIONS_DSN" not in env:
        problem(f"{path}: stoa has no STOA_STORAGE_OPTIONS_DSN")
    with open(envout, "w") as f:
        for k, v in env.items():
            f.write(f"{k}={v}\n")


def instructions(path):
    """(line, INSTRUCTION, args) with continuations joined and comments dropped."""
    out, buf, start = [], "", 0
    with open(path) as f:
        for no, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not buf and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if not buf:
                start = no
            if line.endswith("\\"):
                buf += line[:-1] + " "
                continue
            buf += line
            word, _, rest = buf.strip().partition(" ")
            out.append((start, word.upper(), rest.strip()))
            buf = ""
    if buf:
        problem(f"{path}:{start}: continuation runs past the end of the file")
    return out


KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
         "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


def check_dockerfile(path, root):
    ins = instructions(path)
    stages, user, has_health = [], None, False
    for no, word, args in ins:
        where = f"{path}:{no}"
        if word not in KNOWN:
            problem(f"{where}: unknown instruction {word}")
        if word == "FROM":
            image = args.split()[0]
            if ":" not in image or image.endswith(":latest"):
                problem(f"{where}: pin the base image tag ({image})")
            stages.append(image)
            user = None
        elif word == "RUN":
            if re.search(r"\bapt-get\s+install\b", args):
                problem(f"{where}: install packages with docker/install-deps.sh, not apt-get directly")
            if "sudo " in args:
                problem(f"{where}: sudo in a RUN")
        elif word == "ADD" and re.search(r"https?://", args):
            problem(f"{where}: ADD from a URL (not reproducible)")
        elif word == "COPY" and "--from=" not in args:
            for src in args.split()[:-1]:
                if src.startswith("--") or os.path.exists(os.path.join(root, src)):
                    continue
                problem(f"{where}: COPY source {src} does not exist in {root}")
        elif word == "USER":
            user = args.split(":")[0]
        elif word in ("CMD", "ENTRYPOINT"):
            try:
                if not isinstance(json.loads(args), list):
                    raise ValueError
            except ValueError:
                problem(f"{where}: {word} should use the JSON (exec) form")
        elif word == "HEALTHCHECK":
            has_health = True
    if not stages:
        problem(f"{path}: no FROM")
    if user in (None, "root", "0"):
        problem(f"{path}: the final stage runs as root (add USER)")
    return ins, stages, has_health


def check_stoa_dockerfile(path, root):
    ins, stages, has_health = check_dockerfile(path, root)
    text = open(path).read()
    if len(stages) < 2 or not all(s.startswith("debian:bookworm") for s in stages):
        problem(f"{path}: want a multi-stage build on debian:bookworm, got {stages}")
    runs = [a for _, w, a in ins if w == "RUN"]
    if not any(re.search(r"install-deps\.sh(\s*&&|\s*$)", r) for r in runs):
        problem(f"{path}: the build stage does not run docker/install-deps.sh")
    if not any("install-deps.sh --runtime" in r for r in runs):
        problem(f"{path}: the runtime stage does not run docker/install-deps.sh --runtime")
    if not has_health or "/healthz" not in text:
        problem(f"{path}: no HEALTHCHECK on /healthz")
    for must in ("/usr/share/stoa/migrations", "/usr/lib/stoa/plugins", "/usr/lib/stoa/stoa"):
        if must not in text:
            problem(f"{path}: {must} missing from the image layout")


def healthcheck(path):
    for _, word, args in instructions(path):
        if word == "HEALTHCHECK":
            cmd = args[args.index("CMD") + 3:].strip()
            for a in json.loads(cmd):
                print(a)
            return
    problem(f"{path}: no HEALTHCHECK")


def main():
    mode = sys.argv[1]
    if mode == "compose":
        check_compose(sys.argv[2], sys.argv[3])
    elif mode == "dockerfile":
        if os.path.basename(sys.argv[2]) == "Dockerfile":
            check_stoa_dockerfile(sys.argv[2], sys.argv[3])
        else:
            check_dockerfile(sys.argv[2], sys.argv[3])
    elif mode == "healthcheck":
        healthcheck(sys.argv[2])
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
