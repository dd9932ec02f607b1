// Loaded before the page is drawn: marks <html class="js"> so that the stylesheet folds the phone menu behind its
// button only when a script is there to open it (forms.js).
document.documentElement.classList.add("js");
