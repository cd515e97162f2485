# stylepath: how is the latent space of an autoencoder organised, measured by artistic style?
#
# data -> for each model and replicate (training seed), one chain of jobs:
#         train -> encode -> analyse (PCA, covariance shape, clustering, did it reach its objective?)
#                         -> select pairs -> walks (decoded, style loss measured) -> patterns
#      -> calibrate: known-answer walks from the data through the same style loss and pattern rule
#      -> summaries across models and replicates -> summarise_run (findings with verdicts: the
#         report's front page), one figure job per stage and the explorer (one interactive page)
# Every stage is one `stylepath <command>`; its settings come from config.yaml through params.


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/trajectories.smk"
include: "workflow/rules/calibration.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/explorer.smk"


rule all:
    default_target: True
    input:
        rules.summarise_run.output,
        rules.plot_replicates.output,
        rules.plot_data.output,
        rules.plot_training.output,
        rules.plot_reconstructions.output,
        rules.plot_analysis.output,
        rules.plot_trajectories.output,
        rules.calibrate.output,
        rules.plot_calibration.output,
        rules.explorer.output,
