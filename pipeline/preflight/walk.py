"""Walking a page's content: what it prints, where, with which images and fonts.

The walker follows the graphics state (CTM, fill and stroke colour, overprint, line width,
text render mode and size) through everything that prints: the page's content stream, every
form it draws at any depth, tiling patterns' cells, Type 3 glyph procedures, and the
appearance streams of annotations that print; it notes transparency groups (the page's,
forms', soft masks') that blend in RGB. Forms Signa marked as marks (``/PieceInfo
/HDAG_SignaMarkInfo``, whatever their name) and everything inside them count as marks. It
records facts, not verdicts: :mod:`pipeline.preflight.checks` turns them into findings. A
fault in one object (a broken colour space, image, font, a number that is not finite) is a
``problem`` naming that object, and the walk goes on with the next operator; the budget (a
deadline and an operator count) is checked between operators.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pypdf.generic import DictionaryObject, StreamObject

from pipeline.preflight.colours import CMYK, GRAY, REGISTRATION, Colour, Space, colour
from pipeline.preflight.fonts import font_use
from pipeline.preflight.objects import (
    as_dict,
    bbox,
    contents,
    image_use,
    initial_colour,
    inline_dict,
    is_signa_mark,
    lookup,
    matrix,
    missing_font,
    number,
    object_key,
    pattern_inks,
    pattern_kind,
    resolved,
    space_of,
    stream_data,
    truth,
)
from pipeline.preflight.records import (
    IDENTITY,
    Box,
    GraphicsState,
    Matrix,
    OverBudget,
    PageUse,
    TooManyOperators,
    multiply,
    transform_box,
)
from pipeline.preflight.tokens import operations

#: Deepest nesting of forms followed (a loop of forms is caught before this).
MAX_FORM_DEPTH = 32
#: Operators read per page at most; a page beyond this is reported as partly checked.
MAX_OPERATORS = 5_000_000
#: The deadline is looked at every this many operators.
CLOCK_EVERY = 4096
#: Distinct colours remembered per page before the memory is emptied.
MAX_CACHED_COLOURS = 10_000
#: Saved graphics states kept at most (``q`` without ``Q`` a million times).
MAX_STACK = 256
#: Converted-colour paints, white overprints and image placements recorded per page at most.
MAX_RECORDS = 1000
#: Annotations of one page whose appearance is walked at most.
MAX_ANNOTATIONS = 1000
#: Glyph procedures of one Type 3 font walked at most.
MAX_GLYPHS = 512
#: Annotation flags (PDF 32000 12.5.3): Hidden, Print, NoView.
_HIDDEN, _PRINT = 2, 4

_RGB = Space("rgb", label="DeviceRGB")
#: The space of a pattern whose colour is converted RGB (for the rgb_content check).
_RGB_PATTERN = Space("rgb", label="Pattern in RGB")
_PAINT_FILL = {"f", "F", "f*", "B", "B*", "b", "b*"}
_PAINT_STROKE = {"S", "s", "B", "B*", "b", "b*"}
_TEXT_SHOW = {"Tj", "TJ", "'", '"'}
#: Operators that set a colour: ignored inside an uncoloured Type 3 glyph (``d1``).
_COLOUR_SETTERS = {"g", "G", "k", "K", "rg", "RG", "cs", "CS", "sc", "scn", "SC", "SCN"}


class Walker:
    """Walks one page; :meth:`walk` returns its :class:`PageUse`."""

    def __init__(self, deadline: float, max_operators: int = MAX_OPERATORS) -> None:
        self.deadline = deadline
        self.max_operators = max_operators
        self.use = PageUse()
        self.forms: list[str] = []  # the forms being walked (loop detection)
        self.patterns: set[str] = set()  # coloured tiling patterns already walked
        self.colours: dict[tuple[Any, ...], Colour] = {}
        self.fonts_seen: set[tuple[int, str]] = set()
        self.walked: set[tuple[Any, ...]] = set()  # forms walked, with scale and colours
        # the content stream being interpreted (each form's own while it is walked)
        self.resources: Any = None
        self.state = GraphicsState()
        self.stack: list[GraphicsState] = []
        self.mark = False
        self.uncoloured = False  # inside a Type 3 glyph that takes the text's colour (d1)
        self.type3: set[str] = set()  # Type 3 fonts whose glyphs were walked
        self.path: list[Any] = []
        self.handlers: dict[str, Callable[[list[Any]], None]] = self._handlers()

    def walk(self, page: DictionaryObject) -> PageUse:
        """Walk the page's content; over the operator limit the rest is a problem."""
        data = contents(page, self.use)
        try:
            resources = self.resources = as_dict(page.get("/Resources"))
            self._group(page, "the page", None)
            self._run(data, resources, GraphicsState(), mark=False)
            self._annotations(page, resources)
        except TooManyOperators:
            self.use.complete = False
            self.use.problem(
                f"more than {self.max_operators} drawing operators: the rest of the page is "
                f"not checked"
            )
        return self.use

    # --- the interpreter -------------------------------------------------------------------

    def _run(self, data: bytes, resources: Any, state: GraphicsState, mark: bool) -> None:
        """Interpret ``data`` with its own resources and a copy of the graphics state."""
        saved = (self.resources, self.state, self.stack, self.mark, self.path, self.uncoloured)
        self.resources, self.state, self.stack, self.mark, self.path = (
            resources,
            state,
            [],
            mark,
            [],
        )
        self.uncoloured = False
        use, handlers, deadline = self.use, self.handlers, self.deadline
        try:
            for operands, operator in operations(data):
                use.operators += 1
                if use.operators % CLOCK_EVERY == 0:
                    self._clock(deadline)
                handler = handlers.get(operator)
                if handler is not None:
                    try:
                        handler(operands)
                    except (OverBudget, TooManyOperators):
                        raise
                    except Exception as exc:  # noqa: BLE001 - one object's fault, not the page's
                        use.problem(_fault(exc), _operation(operator, operands))
        finally:
            (
                self.resources,
                self.state,
                self.stack,
                self.mark,
                self.path,
                self.uncoloured,
            ) = saved

    def _clock(self, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise OverBudget
        if self.use.operators > self.max_operators:
            raise TooManyOperators

    def _handlers(self) -> dict[str, Callable[[list[Any]], None]]:
        handlers: dict[str, Callable[[list[Any]], None]] = {
            "q": self._save,
            "Q": self._restore,
            "cm": self._concat,
            "gs": self._extgstate,
            "w": self._line_width,
            "d1": self._uncoloured_glyph,
            "g": lambda o: self._set(True, GRAY, o),
            "G": lambda o: self._set(False, GRAY, o),
            "k": lambda o: self._set(True, CMYK, o),
            "K": lambda o: self._set(False, CMYK, o),
            "rg": lambda o: self._set(True, _RGB, o),
            "RG": lambda o: self._set(False, _RGB, o),
            "cs": lambda o: self._space(True, o),
            "CS": lambda o: self._space(False, o),
            "sc": lambda o: self._values(True, o),
            "scn": lambda o: self._values(True, o),
            "SC": lambda o: self._values(False, o),
            "SCN": lambda o: self._values(False, o),
            "re": self._rect,
            "m": self._point,
            "l": self._point,
            "c": self._point,
            "v": self._point,
            "y": self._point,
            "n": self._end_path,
            "Tr": self._render_mode,
            "BT": self._text_begin,
            "Tm": self._text_matrix,
            "Td": self._text_move,
            "TD": self._text_move,
            "Tf": self._font,
            "Do": self._xobject,
            "BI": self._inline_image,
            "sh": self._shading,
        }
        for operator in _PAINT_FILL | _PAINT_STROKE:
            handlers[operator] = self._painter(operator)
        for operator in _TEXT_SHOW:
            handlers[operator] = self._show_text
        for operator in _COLOUR_SETTERS:
            handlers[operator] = self._unless_uncoloured(handlers[operator])
        return handlers

    def _unless_uncoloured(
        self, handler: Callable[[list[Any]], None]
    ) -> Callable[[list[Any]], None]:
        def set_colour(operands: list[Any]) -> None:
            if not self.uncoloured:
                handler(operands)

        return set_colour

    def _uncoloured_glyph(self, _: list[Any]) -> None:
        self.uncoloured = True

    # --- graphics state --------------------------------------------------------------------

    def _save(self, _: list[Any]) -> None:
        if len(self.stack) < MAX_STACK:
            self.stack.append(self.state.copy())

    def _restore(self, _: list[Any]) -> None:
        if self.stack:
            self.state = self.stack.pop()

    def _concat(self, operands: list[Any]) -> None:
        self.state.ctm = multiply(matrix(operands), self.state.ctm)

    def _extgstate(self, operands: list[Any]) -> None:
        name = _short(operands[0])
        settings = lookup(self.resources, "/ExtGState", operands[0])
        if not isinstance(settings, DictionaryObject):
            self.use.problem("it is missing", f"graphics state /{name}")
            return
        stroke, fill = settings.get("/OP"), settings.get("/op", settings.get("/OP"))
        if stroke is not None:
            self.state.overprint_stroke = truth(stroke)
        if fill is not None:
            self.state.overprint_fill = truth(fill)
        if "/OPM" in settings:
            self.state.overprint_mode = int(number(settings["/OPM"]))
        if "/LW" in settings:
            self.state.line_width = abs(number(settings["/LW"]))
        mask = as_dict(settings.get("/SMask"))
        if mask is not None:
            self._group(resolved(mask.get("/G")), f"soft mask of /{name}", None)

    def _line_width(self, operands: list[Any]) -> None:
        self.state.line_width = abs(number(operands[0]))

    def _set(self, fill: bool, space: Space, operands: list[Any]) -> None:
        self._assign(fill, self._colour(space, operands))

    def _colour(self, space: Space, operands: list[Any]) -> Colour:
        """``colour()`` remembered: a sheet sets the same few colours thousands of times."""
        key = (id(space), *operands)
        try:
            return self.colours[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable operand (a malformed array)
            return colour(space, operands)
        found = self.colours[key] = colour(space, operands)
        if len(self.colours) > MAX_CACHED_COLOURS:
            self.colours.clear()
        return found

    def _assign(self, fill: bool, value: Colour) -> None:
        if fill:
            self.state.fill = value
        else:
            self.state.stroke = value

    def _space(self, fill: bool, operands: list[Any]) -> None:
        self._assign(fill, initial_colour(space_of(operands[0], self.resources, self.use)))

    def _values(self, fill: bool, operands: list[Any]) -> None:
        current = self.state.fill if fill else self.state.stroke
        if current.space.family == "pattern" and operands and isinstance(operands[-1], str):
            self._assign(fill, self._pattern(current.space, operands))
        else:
            self._assign(fill, self._colour(current.space, operands))

    def _pattern(self, space: Space, operands: list[Any]) -> Colour:
        """A pattern colour; a coloured tiling pattern's cell is walked once, where it is set."""
        name = operands[-1]
        pattern = lookup(self.resources, "/Pattern", name)
        kind = pattern_kind(pattern)
        if kind == "tiling" and object_key(pattern) not in self.patterns:
            self.patterns.add(object_key(pattern))
            self._form(pattern, f"pattern /{name}")
        inks, converted = pattern_inks(pattern, kind, space, operands[:-1], self.resources)
        space = _RGB_PATTERN if converted else space
        return Colour(space, inks, False, name=f"Pattern /{name}")

    # --- paths and painting ----------------------------------------------------------------

    # The path keeps the operand lists as they came (a rectangle's as a tuple); numbers are
    # read only when a record needs the painted box, which is rare.

    def _rect(self, operands: list[Any]) -> None:
        self.path.append(tuple(operands))

    def _point(self, operands: list[Any]) -> None:
        self.path.append(operands)

    def _end_path(self, _: list[Any]) -> None:
        self.path = []

    def _painter(self, operator: str) -> Callable[[list[Any]], None]:
        fills, strokes = operator in _PAINT_FILL, operator in _PAINT_STROKE

        def paint(_: list[Any]) -> None:
            state, path = self.state, self.path
            self.path = []
            if fills:
                self._paints(state.fill, path, state.overprint_fill)
            if strokes:
                self._paints(state.stroke, path, state.overprint_stroke)
                self._line(state.stroke, path)

        return paint

    def _line(self, value: Colour, path: list[Any]) -> None:
        """A stroke that is white or of several inks: its width on the sheet, for thin_line."""
        use = self.use
        if self.mark or len(use.thin_lines) >= MAX_RECORDS or not path:
            return
        if not (value.white or len(value.inks - {REGISTRATION}) > 1):
            return
        width = self.state.line_width * _scale(self.state.ctm)
        use.thin_lines.append((value.label, width, self._path_box(path)))

    def _path_box(self, path: list[Any]) -> Box | None:
        points: list[float] = []
        for operands in path:
            numbers = [number(v) for v in operands[:6]]
            if isinstance(operands, tuple) and len(numbers) == 4:
                x, y, w, h = numbers
                numbers = [x, y, x + w, y + h]
            points += numbers[: len(numbers) // 2 * 2]
        if len(points) < 2:
            return None
        xs, ys = points[0::2], points[1::2]
        return transform_box(self.state.ctm, min(xs), min(ys), max(xs), max(ys))

    def _paints(
        self,
        value: Colour,
        where: Box | list[Any] | Callable[[], Box] | None,
        overprint: bool = False,
        vector: bool = True,
    ) -> None:
        """Record that ``value`` is painted over ``where`` (a box, or a path or a function
        whose box is computed only when a record needs it)."""
        use = self.use
        if self.mark:
            use.mark_inks.update(value.inks)
            return
        if REGISTRATION in value.inks:
            use.registration_count += 1
            if use.registration is None:
                use.registration = self._box_of(where) or (0.0, 0.0, 0.0, 0.0)
        converted = value.space.converted
        if converted:
            use.converted_inks.update(value.inks)
        recorded = use.inks
        new = [] if converted else [ink for ink in value.inks if ink not in recorded]
        wanted = new or (vector and converted) or (overprint and value.white)
        if not wanted:
            return
        box = self._box_of(where)
        for ink in new:
            recorded[ink] = box
        if vector and converted and len(use.converted) < MAX_RECORDS:
            use.converted.append((value.label, box))
        if overprint and value.white and len(use.white_overprint) < MAX_RECORDS:
            use.white_overprint.append((value.label, box))

    def _box_of(self, where: Box | list[Any] | Callable[[], Box] | None) -> Box | None:
        if isinstance(where, list):
            return self._path_box(where)
        return where() if callable(where) else where

    # --- text ------------------------------------------------------------------------------

    def _text_begin(self, _: list[Any]) -> None:
        self.state.text = IDENTITY

    def _text_matrix(self, operands: list[Any]) -> None:
        self.state.text = matrix(operands)

    def _text_move(self, operands: list[Any]) -> None:
        x, y = number(operands[0]), number(operands[1])
        self.state.text = multiply((1.0, 0.0, 0.0, 1.0, x, y), self.state.text)

    def _render_mode(self, operands: list[Any]) -> None:
        mode = number(operands[0])
        if mode not in range(8):
            raise ValueError(f"text render mode {mode:g} is not 0..7")
        self.state.render = int(mode)

    def _font(self, operands: list[Any]) -> None:
        self.state.font, self.state.font_size = _short(operands[0]), number(operands[1])

    def _show_text(self, _: list[Any]) -> None:
        state = self.state
        if state.render in (0, 2, 4, 6):
            self._paints(state.fill, self._text_box, state.overprint_fill)
        if state.render in (1, 2, 5, 6):
            self._paints(state.stroke, self._text_box, state.overprint_stroke)
        if state.font:
            font = self._check_font(state.font)
            if font is not None and font.get("/Subtype") == "/Type3":
                self._type3(font, state.font)
        if not self.mark and state.render in (0, 2, 4, 6):
            self._text_sizes(state)

    def _text_sizes(self, state: GraphicsState) -> None:
        """Small text that is white, of several inks, or black that knocks out."""
        use, value = self.use, state.fill
        size = abs(state.font_size) * _scale(multiply(state.text, state.ctm))
        inks = value.inks - {REGISTRATION}
        if (value.white or len(inks) > 1) and len(use.small_text) < MAX_RECORDS:
            use.small_text.append((value.label, size, self._text_box()))
        elif (
            inks == {"Black"}
            and _solid_black(value)
            and not _overprints_black(state)
            and len(use.black_knockout) < MAX_RECORDS
        ):
            use.black_knockout.append((size, self._text_box()))

    def _text_box(self) -> Box:
        """Where the text shown now starts: a font-size square at the text position."""
        state = self.state
        size = abs(state.font_size) or 1.0
        return transform_box(multiply(state.text, state.ctm), 0, 0, size, size)

    def _check_font(self, name: str) -> DictionaryObject | None:
        """The font shown (None when missing); outside marks, whether it is embedded."""
        font = lookup(self.resources, "/Font", name)
        seen = (id(self.resources), name)
        if self.mark or seen in self.fonts_seen:
            return font if isinstance(font, DictionaryObject) else None
        self.fonts_seen.add(seen)
        key = object_key(font) if font is not None else f"missing {name}"
        if key not in self.use.fonts:
            self.use.fonts[key] = font_use(font) if font is not None else missing_font(name)
            self.use.font_places[key] = self._text_box()
        return font if isinstance(font, DictionaryObject) else None

    def _type3(self, font: DictionaryObject, name: str) -> None:
        """A Type 3 font's glyphs are content: each procedure is walked once, where the font
        is first shown, at its size (FontMatrix, text matrix and CTM)."""
        key = f"{object_key(font)} {self.mark}"
        if key in self.type3:
            return
        self.type3.add(key)
        procs = as_dict(font.get("/CharProcs"))
        if procs is None:
            self.use.problem("it has no /CharProcs", f"Type 3 font /{name}")
            return
        size = self.state.font_size or 1.0
        font_matrix = matrix(font.get("/FontMatrix", [0.001, 0, 0, 0.001, 0, 0]))
        at = multiply(
            multiply(font_matrix, (size, 0.0, 0.0, size, 0.0, 0.0)),
            multiply(self.state.text, self.state.ctm),
        )
        resources = as_dict(font.get("/Resources")) or self.resources
        for glyph in list(procs.keys())[:MAX_GLYPHS]:
            proc = resolved(procs[glyph])
            if not isinstance(proc, StreamObject):
                continue
            state = self.state.copy()
            state.ctm = at
            what = f"glyph {_short(glyph)} of Type 3 font /{name}"
            self._nested(object_key(proc), what, proc, resources, state, self.mark)

    # --- external objects ------------------------------------------------------------------

    def _xobject(self, operands: list[Any]) -> None:
        name = _short(operands[0])
        xobject = lookup(self.resources, "/XObject", name)
        if not isinstance(xobject, StreamObject):
            self.use.problem("it is missing or not a stream", f"XObject /{name}")
            return
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            self._image(name, xobject)
        elif subtype == "/Form":
            self._form(xobject, name, mark=self.mark or is_signa_mark(xobject))

    def _form(self, form: Any, name: str, mark: bool | None = None) -> None:
        """Walk a form (or a tiling pattern's cell) in place, with its matrix and resources."""
        state = self.state.copy()
        state.ctm = multiply(matrix(form.get("/Matrix", IDENTITY)), state.ctm)
        mark = self.mark if mark is None else mark
        if not mark:
            self._group(form, f"form /{name}", bbox(form.get("/BBox"), state.ctm))
        resources = as_dict(form.get("/Resources")) or self.resources
        self._nested(object_key(form), f"form /{name}", form, resources, state, mark)

    def _nested(
        self, key: str, what: str, stream: Any, resources: Any, state: GraphicsState, mark: bool
    ) -> None:
        """Walk a content stream drawn from the current one (a form, a pattern cell, a glyph,
        an annotation's appearance): once per scale and colours, never into itself."""
        if key in self.forms or len(self.forms) >= MAX_FORM_DEPTH:
            self.use.problem("it draws itself or nests too deep; not followed", what)
            return
        if self._walked_alike(key, state, mark):
            return
        data = stream_data(stream, what, self.use)
        self.forms.append(key)
        try:
            self._run(data, resources, state, mark)
        finally:
            self.forms.pop()

    def _group(self, owner: Any, what: str, box: Box | None) -> None:
        """A transparency group that blends in RGB or Lab: the RIP converts what it blends."""
        if not isinstance(owner, DictionaryObject):
            return
        group = as_dict(owner.get("/Group"))
        if group is None or group.get("/S") != "/Transparency" or "/CS" not in group:
            return
        space = space_of(group["/CS"], self.resources, self.use)
        if space.converted and len(self.use.groups) < MAX_RECORDS:
            self.use.groups.append((f"{what} blends in {space.label}", box))

    def _annotations(self, page: DictionaryObject, resources: Any) -> None:
        """The normal appearance of every annotation that prints (Print flag, not Hidden),
        placed on its /Rect as PDF 32000 12.5.5 says."""
        annots = resolved(page.get("/Annots"))
        if not isinstance(annots, list):
            return
        for index, entry in enumerate(annots[:MAX_ANNOTATIONS], start=1):
            what = f"annotation {index}"
            try:
                self._annotation(as_dict(entry), what, resources)
            except (OverBudget, TooManyOperators):
                raise
            except Exception as exc:  # noqa: BLE001 - one annotation's fault
                self.use.problem(_fault(exc), what)

    def _annotation(self, annot: DictionaryObject | None, what: str, resources: Any) -> None:
        if annot is None:
            return
        flags = int(number(annot.get("/F", 0)))
        if not flags & _PRINT or flags & _HIDDEN:
            return
        appearance = as_dict(annot.get("/AP"))
        normal = resolved(appearance.get("/N")) if appearance is not None else None
        if isinstance(normal, DictionaryObject) and not isinstance(normal, StreamObject):
            normal = resolved(normal.get(annot.get("/AS", "/Off")))
        if not isinstance(normal, StreamObject):
            return
        subtype = _short(annot.get("/Subtype", "annotation"))
        what = f"{what} ({subtype})"
        form_matrix = matrix(normal.get("/Matrix", IDENTITY))
        box = bbox(normal.get("/BBox"), form_matrix)
        rect = bbox(annot.get("/Rect"), IDENTITY)
        if box is None or rect is None:
            self.use.problem("its appearance has no /BBox or /Rect", what)
            return
        width, height = box[2] - box[0], box[3] - box[1]
        sx = (rect[2] - rect[0]) / width if width else 1.0
        sy = (rect[3] - rect[1]) / height if height else 1.0
        fit = (sx, 0.0, 0.0, sy, rect[0] - box[0] * sx, rect[1] - box[1] * sy)
        state = GraphicsState()
        state.ctm = multiply(form_matrix, fit)
        self._group(normal, what, rect)
        own = as_dict(normal.get("/Resources")) or resources
        self._nested(object_key(normal), what, normal, own, state, is_signa_mark(normal))

    def _walked_alike(self, key: str, state: GraphicsState, mark: bool) -> bool:
        """True when this form was already walked at the same scale with the same colours:
        it prints the same inks and images at the same resolution, only elsewhere (an N-up
        sheet places one page form many times). The first placement's positions stand."""
        scale = tuple(round(v, 4) for v in state.ctm[:4])
        overprint = (state.overprint_fill, state.overprint_stroke)
        alike = (key, mark, scale, state.fill, state.stroke, overprint)
        if alike in self.walked:
            return True
        self.walked.add(alike)
        return False

    def _image(self, name: str, image: DictionaryObject) -> None:
        state = self.state
        placed = image_use(name, image, state.ctm, state.fill, self.resources, self.use)
        if placed is not None:
            value, use = placed
            use.mark = self.mark
            self._paints(value, use.box, vector=False)
            if len(self.use.images) < MAX_RECORDS:
                self.use.images.append(use)

    def _inline_image(self, operands: list[Any]) -> None:
        self._image("inline image", inline_dict(operands[0]))

    def _shading(self, operands: list[Any]) -> None:
        shading = lookup(self.resources, "/Shading", operands[0])
        if not isinstance(shading, DictionaryObject):
            self.use.problem("it is missing", f"shading /{_short(operands[0])}")
            return
        space = space_of(shading.get("/ColorSpace"), self.resources, self.use)
        box = bbox(shading.get("/BBox"), self.state.ctm)
        value = Colour(space, space.all_inks(), False, name=space.label)
        self._paints(value, box, self.state.overprint_fill)


def _short(value: Any, limit: int = 60) -> str:
    """A name from the file, shortened for a message (never used as a format string)."""
    text = str(value).lstrip("/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _operation(operator: str, operands: list[Any]) -> str:
    """``operator Do /Im1``: what a fault was met in."""
    named = next((o for o in operands if isinstance(o, str)), None)
    return f"operator {_short(operator, 8)}" + (f" /{_short(named)}" if named else "")


def _fault(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:120]}"


def _scale(m: Matrix) -> float:
    """How much a matrix scales lengths (the square root of its area factor)."""
    return float(abs(m[0] * m[3] - m[1] * m[2]) ** 0.5)


def _solid_black(value: Colour) -> bool:
    """100 % black: gray 0 or CMYK 0 0 0 1 (a tint of black is not judged)."""
    numbers = value.values
    if value.space.family == "gray":
        return bool(numbers) and numbers[0] <= 0
    if value.space.family == "cmyk":
        return len(numbers) == 4 and numbers[3] >= 1 and not any(numbers[:3])
    return False


def _overprints_black(state: GraphicsState) -> bool:
    """Black overprints: overprint on, and for DeviceCMYK in overprint mode 1 (the zero
    components leave the inks below)."""
    if not state.overprint_fill:
        return False
    return state.fill.space.family != "cmyk" or state.overprint_mode == 1
