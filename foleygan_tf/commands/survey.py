"""``foleygan survey {build,serve,report}``: the paper's human study (§VI-G, Table IV) as a listening test.

* ``build STUDY --videos VIDEO... [--models DIR | --model NAME=DIR ...] [--class NAME]`` — every
  model's track over every video plus a reference and an anchor per clip, at one loudness per clip,
  as H.264 + AAC, and ``STUDY/manifest.json`` (resumable: rerun the same command);
* ``serve STUDY [--host 127.0.0.1] [--port 8765]`` — the participants' web page; answers go to
  ``STUDY/responses.sqlite``;
* ``report STUDY -o OUT`` — Table IV (mean, 95 % bootstrap interval over participants, N) per class
  and per model, as Markdown, CSV and a plot, plus the raw answers.

The library is ``foleygan_tf.survey`` (docs/survey.md).
"""

from __future__ import annotations


from foleygan_tf.commands.options import add_models_option, selected_models


def register(subparsers, common) -> None:
    from foleygan_tf.cli import add_verbose_option

    p = subparsers.add_parser("survey", help="listening test: build, serve and report the paper's human study",
                              description="The paper's human study (Table IV) on your own clips: build the "
                                          "media, serve the web page, report the ratings (docs/survey.md).")
    sub = p.add_subparsers(dest="survey_command", metavar="{build,serve,report}")
    sub.required = True

    b = sub.add_parser("build", help="generate, normalise and mux every condition of a study",
                       description="For each VIDEO: every model's track, the clip's own recorded track "
                                   "(reference) and another clip's track (anchor), at one loudness per clip, "
                                   "as H.264 + AAC under opaque ids, and STUDY/manifest.json. Rerunning the "
                                   "same command resumes an interrupted build. The models' own config is "
                                   "used.")
    b.add_argument("study", metavar="STUDY", help="the study folder (created)")
    b.add_argument("--videos", nargs="+", required=True, metavar="VIDEO", help="the clips (at least 2)")
    add_models_option(b, several=True)
    b.add_argument("--class", dest="class_name", default=None, metavar="NAME",
                   help="class of the clips without a sidecar <stem>.json (default: predicted by the first model)")
    b.add_argument("--seed", type=int, default=0, help="z seed of the first clip; clip i uses seed + i (default 0)")
    b.add_argument("--quiet", action="store_true", help="no progress bar or result lines")
    add_verbose_option(b)
    b.set_defaults(func=run_build)

    s = sub.add_parser("serve", help="serve the listening test's web page",
                       description="Serve STUDY to participants: consent, one clip per page with the two 1–10 "
                                   "questions, a thank-you page. Answers are committed to STUDY/responses.sqlite "
                                   "before the next clip is shown. Ctrl-C stops.")
    s.add_argument("study", metavar="STUDY")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0: every interface, for a LAN)")
    s.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free port)")
    s.set_defaults(func=run_serve)

    r = sub.add_parser("report", help="Table IV of a study's answers",
                       description="Table IV — mean and 95 % bootstrap interval over participants, per class "
                                   "and per model, with the reference and anchor controls — as OUT/table4.md, "
                                   "OUT/table4.csv, OUT/table4.png, and the raw answers as OUT/answers.csv.")
    r.add_argument("study", metavar="STUDY")
    r.add_argument("-o", "--out", required=True, metavar="OUT", help="output folder (created)")
    r.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples (default 2000)")
    r.set_defaults(func=run_report)


def run_build(args) -> int:
    from foleygan_tf.progress import say
    from foleygan_tf.survey.build import build_study

    models = selected_models(args)
    log = None if args.quiet else say
    result = build_study(args.study, args.videos, models, class_name=args.class_name, seed=args.seed,
                         progress=not args.quiet, log=log)
    if not args.quiet:
        print(f"Study {result['study']}: {result['clips']} clips, {result['items']} pages per participant "
              f"(models {', '.join(result['models'])} + reference and anchor controls); {result['files']} "
              f"file(s) made in {result['seconds']:.1f} s. Next: foleygan survey serve {result['study']}")
    return 0


def run_serve(args) -> int:
    from foleygan_tf.survey.server import serve

    serve(args.study, host=args.host, port=args.port)
    return 0


def run_report(args) -> int:
    from foleygan_tf.survey.report import write_report

    result = write_report(args.study, args.out, resamples=args.resamples)
    print(result["summary"])
    print(f"Wrote {', '.join(result['files'])}")
    return 0
