# stylepath: how is the latent space of an autoencoder organised, measured by artistic style?
#
# data -> train (one job per model) -> encode -> analyse (PCA, covariance shape, clustering)
#                                             -> select pairs -> interpolate -> style loss -> patterns
#      -> summarise_run (the report's front page)
# Every stage is one `stylepath <command>`; its settings come from config.yaml through params.


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/trajectories.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        rules.prepare_data.output,
        expand(rules.encode.output, model=MODELS),
        expand(rules.plot_training.output, model=MODELS),
        expand(rules.plot_reconstructions.output, model=MODELS),
        rules.summarise_analysis.output,
        expand(rules.plot_analysis.output, model=MODELS),
        rules.plot_analysis_summary.output,
        rules.summarise_patterns.output,
        expand(rules.plot_trajectories.output, model=MODELS),
        rules.plot_patterns_summary.output,
        rules.summarise_run.output,
