"""Models: the interface every kind follows (`base`), the registry of kinds (`registry`), and one
sub-package per kind (`tfidf`, `transformer`), each a self-contained plug-in exporting `KIND`."""
