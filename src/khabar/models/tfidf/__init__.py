"""The TF-IDF + linear kind (`kind: tfidf`): the fast baseline, for topic and for stance.

`params` (the config sections and their checks), `model` (fit, probabilities, skops persistence),
`word_char` (word + within-word character n-gram TF-IDF), `pair_features` (claim/text relation
features for stance), `temperature` (probabilities for LinearSVC), `compact` (small saved
vocabularies). Only `params` is imported here: reading a config imports no training library.
"""

from ..registry import Kind
from .params import SeedOnlyTrain, TfidfParams, check_params

#: Every type a saved TF-IDF pipeline may contain; skops refuses to load anything else.
TRUSTED_TYPES = (
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int", "builtins.float",
    "builtins.slice", "builtins.set", "collections.defaultdict", "collections.OrderedDict",
    "numpy.dtype", "numpy.ndarray", "numpy.float64", "numpy.int64", "numpy.int32", "numpy.str_",
    "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
    "scipy.sparse._csr.csr_matrix", "scipy.sparse._csc.csc_matrix", "scipy.sparse._dia.dia_matrix",
    "scipy.sparse._csr.csr_array", "scipy.sparse._dia.dia_array",
    "sklearn.feature_extraction.text.TfidfVectorizer", "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression", "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "sklearn.pipeline.FeatureUnion", "sklearn.pipeline.Pipeline", "sklearn.svm._classes.LinearSVC",
    "sklearn.preprocessing._label.LabelEncoder", "sklearn.utils._bunch.Bunch",
    "khabar.models.tfidf.temperature.TemperatureScaled", "khabar.models.tfidf.two_stage.TwoStage",
    "khabar.models.tfidf.pair_features.PairFeatures",
    "khabar.models.tfidf.word_char.WordCharTfidf",
    "khabar.models.tfidf.multi_label.LabelSetProbabilities", "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.preprocessing._label.LabelBinarizer", "builtins.bool", "numpy.int8",
    "sklearn.decomposition._truncated_svd.TruncatedSVD", "sklearn.preprocessing._data.Normalizer",
)

KIND = Kind(
    name="tfidf",
    params=TfidfParams,
    train=SeedOnlyTrain,
    model="khabar.models.tfidf.model:TfidfModel",
    check=check_params,
    trusted_types=TRUSTED_TYPES,
    unlabeled=True,
)
